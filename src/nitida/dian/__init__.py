"""Delivery of electronic documents (issue 11), pure building blocks without the database.

client (DIAN SOAP web service, WS-Security in wssecurity, answers in responses), files (DIAN file
names, ZIP), attached (the AttachedDocument container), pdf (representación gráfica), mail (the
e-mail to the buyer).
"""
