"""Values every other part uses: money, time, the complaint models and the models' base."""
