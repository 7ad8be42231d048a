"""The reference webhooks and what each request goes through.

counter (the session-cookie counter at /sms), directory (notebook 06's staff directory at
/directory), incoming (the checks every webhook shares), signature (X-Twilio-Signature), sessions
(Flask's signed session, cached), store (notebook 07's shared count), activity (the recent-requests
table).
"""
