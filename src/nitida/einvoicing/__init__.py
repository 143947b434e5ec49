"""Electronic invoicing (issue 10): DIAN UBL 2.1 documents, CUFE/CUDE, XAdES signature. Pure: no database.

documents (what a document says) -> ubl.build (XML) -> signing.sign (XAdES-EPES) -> bytes to store.
"""
