"""The check catalog: one module per check (or small family) under aws/ and github/."""
