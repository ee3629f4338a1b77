"""Green Button "Download My Data": an account's usage as an ESPI Atom feed or as CSV
(``route`` serves them)."""
