"""Going live: an ngrok tunnel, the Twilio number pointed at it, and always put back.

live (go_live: the steps in order, undone on every ending), tunnel (pyngrok), number (pointing and
restoring the number), twilio_api (the REST calls and their errors in one sentence), number_record
(the old webhook kept on disk), skipped (a step that did not happen, and why), inbrowser (each step's
one sentence in Python in the browser).
"""
