"""Tools for testing code that talks to SAT: a test CA for e.firmas, a mock transport."""
