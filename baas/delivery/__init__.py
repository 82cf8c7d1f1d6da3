"""Background deliveries with retries: the one mechanism behind webhooks and push.

A *queue* (``baas.delivery.queue.Queue``) is a table of rows to deliver: each row has
a ``status`` (``pending`` until settled), an ``attempts`` count, ``next_attempt_at``
(when the next attempt is due) and ``locked_until`` (a lease while an attempt is in
flight). The queue owns everything but the attempt itself:

- **lease**: an attempt first claims its row with an ``UPDATE … WHERE status =
  'pending' AND NOT locked_until > now``, so two runners never attempt one row at once;
- **retries**: the app's ``send`` makes one attempt and answers with a ``Settled``
  (the final status, or a retry after the backoff ``Policy`` gives); the queue writes
  it and releases the lease;
- **runners**: with Redis the app's Celery task makes each attempt and retries with
  ``self.retry(countdown=…)``; embedded (tasks eager) a small thread pool per queue
  makes them and a timer waits out the backoff, so the request never waits and a
  retry still comes later;
- **resume**: the row is the truth in both modes, so a periodic task re-dispatches
  pending rows overdue by a minute whose runner went away (a restart between two
  attempts, a crash mid-attempt once its lease has run out): at least once.

Webhooks (``baas.webhooks.delivery``: one signed POST per ``Delivery``, each attempt
logged) and push (``baas.push.delivery``: one platform call per device ``Outcome``)
each declare a ``Queue``. It lives in a package of its own rather than in
``baas.jobs``, which runs scheduled jobs: this is a queue of rows, not a schedule.
"""
