"""One date format everywhere in Roster's pages (admin lists, the SSO page, error pages), with
the time zone shown: ``2026-05-03 14:05 UTC``. Django's English locale would otherwise mix
"May 3, 2026, 2:05 p.m." with "05/03/2026 2:05 p.m." and name no zone. Read through
``FORMAT_MODULE_PATH``; formats not named here stay Django's."""

DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
