"""What the employee says, for every outcome, in English (built in) and in Spanish (added by the policy).

The theme park's preset, with a [wording.es] table added: every message of the
outcomes, the park's level titles and remedy kinds, and its alternatives, in
Spanish (a case's steps and the messages added later are said in English:
``Wording(policy, "es").untranslated`` lists them). Each
outcome is printed in both languages, and the denial once more as Markdown.

    python examples/wording_locales.py
"""

from __future__ import annotations

import datetime as dt

from recovery_rules import Complaint, Customer, Money, Policy, Remedy, Wording, presets

# Half past two in the afternoon in Los Angeles, the park's time zone.
NOW = dt.datetime(2026, 11, 23, 22, 30, tzinfo=dt.UTC)

SPANISH = r'''
[wording.es]
clock = "24h"
weekdays = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]
months = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
          "noviembre", "diciembre"]
decimal_mark = ","
group_separator = "."

[wording.es.names]
ticket_agent = "agente de taquilla"
guest_relations = "responsable de atención al visitante"
park_manager = "director del parque"
refund = "un reembolso"
credit = "un crédito"
rain_check = "un pase para otro día"
voucher = "un vale"
upgrade = "una mejora"
comp = "una cortesía"

[wording.es.messages]
apology = "¡Lo siento muchísimo! Vamos a solucionarlo."
apology_named = "¡Lo siento muchísimo, {customer_name}! Vamos a solucionarlo."
thanks = """\
    Gracias por contárnoslo y por darnos la oportunidad de arreglarlo. \
    Su número de reclamación es {complaint_number}."""
approved = "Buenas noticias: puedo darle {remedy} ahora mismo, y me encargo yo."
suggestions = """
Y si le apetece, aquí tiene algunas ideas de qué hacer en su lugar:
{suggestions}
"""
escalated = """
Quiero resolverlo bien: {remedy} necesita la aprobación de nuestro {escalate_to}, porque {reason}.
Con mucho gusto se lo propongo y le llamo antes de {callback_time}. ¿Le parece bien?
Mientras tanto, esto es lo que puedo hacer por usted ahora mismo:
{alternatives}
"""
denied = """
No podemos darle {remedy}, porque {reason}.
Pero esto es lo que SÍ podemos hacer por usted, ahora mismo:
{alternatives}
"""
reason_refused = "{remedy_kind} no es algo que podamos ofrecer"
reason_over_cap = "el total llegaría a {total}, más de los {cap} que podemos ofrecer a un mismo visitante"
reason_no_level = "asciende a {total}, más de lo que nadie aquí puede aprobar"
reason_no_level_above = "no puedo aprobarlo yo, ni nadie por encima de mí"
reason_over_limit = "asciende a {total}, más de los {limit} que puedo aprobar yo"
reason_not_mine = "no puedo aprobarlo yo"
reason_other = "{reason}"
alternative = "{description}"
alternative_elsewhere = "{description} (otro lugar que le recomendamos con gusto)"
contact = "Contacto: {contact}"
directions = "Cómo llegar: {directions}"
link = "Más información: {url}"
remedy = "{kind} de {amount}"
remedy_free = "{kind}"
money = "{amount} {currency}"
money_code = "{amount} {currency}"
time_today_morning = "las {time} de esta mañana"
time_today_afternoon = "las {time} de esta tarde"
time_today_evening = "las {time} de esta tarde"
time_today_night = "las {time} de esta noche"
time_tomorrow_morning = "las {time} de mañana por la mañana"
time_tomorrow_afternoon = "las {time} de mañana por la tarde"
time_tomorrow_evening = "las {time} de mañana por la tarde"
time_tomorrow_night = "las {time} de mañana por la noche"
time_later_morning = "las {time} del {weekday} {day} de {month}"
time_later_afternoon = "las {time} del {weekday} {day} de {month}"
time_later_evening = "las {time} del {weekday} {day} de {month}"
time_later_night = "las {time} del {weekday} {day} de {month}"

[wording.es.alternatives.indoor-shows]
description = """\
    Asientos para el próximo espectáculo a cubierto: \
    el teatro 4-D tiene función cada media hora, llueva o no."""
directions = "Main Street, pasado el tiovivo, a la derecha."

[wording.es.alternatives.aquarium-nearby]
description = """\
    El acuario de la ciudad está a veinte minutos y abre hasta las 20:00; \
    con la entrada del parque tiene un 20 % de descuento."""
directions = "Tome el autobús del parque hasta Harbor Station y camine dos manzanas hacia el sur."

[wording.es.alternatives.return-planner]
description = """\
    Le ayudamos a elegir un día seco para volver con la previsión de diez días, \
    y le reservamos horas para las atracciones."""

[wording.es.alternatives.priority-return]
description = "Un pase prioritario para dos atracciones a su elección, hoy o el día que vuelva."

[wording.es.alternatives.guest-relations-call]
description = "Atención al visitante le llama en menos de una hora con una respuesta personal."
contact = "Atención al visitante, City Hall en Main Street, +1 213 555 0100"

[wording.es.alternatives.lost-and-found-search]
description = "Objetos perdidos busca hoy mismo y le llama en cuanto aparezca."
contact = "Objetos perdidos, +1 213 555 0111"

[wording.es.alternatives.day-replanner]
description = "Un anfitrión de atención al visitante replanifica con usted el resto del día según lo que esté cerrado."

[wording.es.alternatives.meal-voucher]
description = "Un vale de comida familiar en cualquier restaurante del parque."
'''


def main() -> None:
    policy = Policy.from_text(presets.path("theme-park").read_text(encoding="utf-8") + SPANISH)
    complaints = {
        # a day lost to rain: a rain check the ticket agent grants, with ideas for what to do instead
        "approved": ("weather_closure", "rain_check", "129.00", Money("0.00", "USD")),
        # more than the ticket agent's $150 a day: guest relations decides, with a callback in half an hour
        "escalated": ("ride_closed", "credit", "240.00", Money("0.00", "USD")),
        # over the park's $2,000 a day for one guest: the positive no, with the reason and Plan B
        "denied": ("lost_item", "refund", "600.00", Money("1500.00", "USD")),
    }
    for outcome, (category, kind, amount, granted) in complaints.items():
        complaint = Complaint(
            customer=Customer(id="P-2231", name="Ana García"),
            category=category,
            requested=Remedy(kind=kind, amount=Money(amount, "USD")),
            received_at=NOW,
        )
        resolution = policy.decide(complaint, by="ticket_agent", granted=granted, now=NOW)
        if resolution.outcome.value != outcome:
            raise SystemExit(f"expected {outcome}, got {resolution.outcome.value}")
        for locale in ("en", "es"):
            print(f"== {outcome} ({locale}) ==")
            print(Wording(policy, locale).say(resolution, customer_name=complaint.customer.name))
            print()
        if outcome == "denied":
            print("== denied (en, Markdown) ==")
            print(Wording(policy).say(resolution, format="markdown"))


if __name__ == "__main__":
    main()
