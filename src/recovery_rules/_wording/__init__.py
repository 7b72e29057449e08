"""What the employee says: messages, locales, templates, the phrase check and the written document."""
