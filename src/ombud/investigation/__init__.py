"""What happens between triage and closing: allegations and the accused's side,
minutes the reporter confirms, evidence with its custody log, interim measures,
findings, the written outcome, and investigators' API tokens. All of it is case
content, encrypted with the case key and read through the door in ``reading``."""
