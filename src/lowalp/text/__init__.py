"""Reading clinical free text: concepts, their assertions and times."""
