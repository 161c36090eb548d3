"""Personal data as Vietnam's Personal Data Protection Law asks (issue 19, DESIGN §3 rule 7).

Above every feature in the import contracts: it reaches into accounts, attempts, flags, judging
and the audit log. Each module holds one part: idnumbers.py (ID numbers encrypted at rest),
mydata.py (what a person may see and download), erasure.py (erasing a person's data, used by
account deletion and by the retention purge), purge.py.
"""
