"""Personal data as the law asks (issue 19, DESIGN §3 rule 7): ID numbers encrypted at rest,
and more in modules of their own."""
