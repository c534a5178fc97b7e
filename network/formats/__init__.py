"""The date and time formats of each language (FORMAT_MODULE_PATH): one for a date, one for a
time, one for both — the short formats are the same, so every page reads alike. A time is shown
with its zone by ``network.dates``; the English time has no periods ("7:16 PM"), so a sentence
ending with one does not end with "p.m..". Formats not set here are Django's own."""
