"""Personal data as the law asks (issue 19, DESIGN §3 rule 7): ID numbers encrypted at rest,
who looked at whose data, and what a person may see, download and delete of what the platform
keeps about them. Stands above every feature it reads from."""
