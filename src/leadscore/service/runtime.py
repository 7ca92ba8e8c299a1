"""One workspace at run time: durable group-committed writes and a scorer that keeps scores
current.

Two threads, each with its own database connection:

- the **writer** takes write requests (events, contacts, outcomes) from a queue and commits
  the requests that arrive within a few milliseconds together (group commit); a request returns
  only after its commit, so an acknowledged item is durable. It then hands the touched contacts
  to the scorer. What it checks and writes per item is :mod:`leadscore.service.writes`.
- the **scorer** rescores touched contacts in micro-batches (on DuckDB each stored score plus the
  contact's new events, where that is exact; else from all its events), brings
  every score to the present on a timer (re-basing, see :mod:`leadscore.scoring.incremental`),
  publishes model versions, and in the same transactions writes score history, alerts and the
  webhook outbox.

Reads (the HTTP API) use their own connections and see committed data only.

A stop lets the writer finish, then scores every contact still waiting. After a crash, the start
rescores the contacts written to after their last score (:meth:`Runtime._recover`), before the
service takes requests.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError
from leadscore.service.records import ItemResult
from leadscore.service.settings import RuntimeSettings
from leadscore.service.writes import Writes

if TYPE_CHECKING:
    from leadscore.model.spec import Model
    from leadscore.records import Contact, Event, Outcome
    from leadscore.scoring.incremental import Update
    from leadscore.scoring.rescorer import Rescorer
    from leadscore.store.base import Store

log = logging.getLogger("leadscore.service")
# at start, writes received this long before a contact's score are taken to be in it (a commit
# takes far less); later ones are rescored (see Runtime._recover)
RECOVERY_MARGIN_US = 60_000_000
# after a failed reconnection, the writer or scorer waits this long before trying again
RECONNECT_WAIT_S = 1.0
# a stop waits this long beyond its own timeout for a micro-batch or commit under way
STOP_GRACE_S = 60.0


class RuntimeStopped(LeadscoreError):
    """The workspace is shutting down and takes no more writes."""


@dataclass(frozen=True)
class Active:
    version: int
    model: Model
    model_hash: str


@dataclass
class _Write:
    kind: str
    items: list[Any]
    future: Future[Any] = field(default_factory=Future)


@dataclass
class _Command:
    action: Callable[[Store], Any]
    future: Future[Any] = field(default_factory=Future)


def _alive(store: Store) -> bool:
    """False once a connection broke (stores that cannot break have no ``alive``)."""
    return bool(getattr(store, "alive", lambda: True)())


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Runtime:
    def __init__(
        self,
        name: str,
        open_store: Callable[[], Store],
        settings: RuntimeSettings | None = None,
        seed_model: str | None = None,
    ):
        self.name = name
        self.open_store = open_store
        self.settings = settings or RuntimeSettings()
        self.seed_model = seed_model
        self._writes: queue.Queue[_Write | None] = queue.Queue()
        self._commands: queue.Queue[_Command] = queue.Queue()
        self._touched: dict[str, str] = {}
        self._touched_lock = threading.Condition()
        self._stopping = threading.Event()
        self._writes_done = threading.Event()
        self._drain_until = 0.0
        self._threads: list[threading.Thread] = []
        self._local = threading.local()
        self._readers: list[Store] = []
        self._readers_lock = threading.Lock()
        self._active: Active | None = None
        self._rescorer: Rescorer | None = None
        self._seq = 0
        self._last_refresh = 0.0
        self._busy = 0
        self._last_batch = (0.0, 0.0)  # when the scorer's last micro-batch started and ended
        self._writes_of = Writes(self.settings.clock, self._touch)  # the writer's storage side
        self.errors: list[str] = []

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Runtime:
        from leadscore.scoring.incremental import layout_is_current
        from leadscore.scoring.run import model_hash
        from leadscore.service import versions

        store = self.open_store()
        try:
            store.init_schema()
            current = versions.active_version(store)
            if current is None:
                if self.seed_model is None:
                    raise LeadscoreError(f"workspace '{self.name}' has no published model")
                draft = versions.create_version(store, self.seed_model, note="initial model")
                self._publish(store, draft.version)
                current = versions.active_version(store)
            assert current is not None
            model = current.load()
            self._active = Active(current.version, model, model_hash(model))
            stored = (
                store.rows("SELECT DISTINCT model_hash FROM scores LIMIT 2")
                if store.has_table("scores")
                else []
            )
            self._seq = int(store.scalar("SELECT coalesce(max(seq), 0) + 1 FROM score_history"))
            if [r["model_hash"] for r in stored] != [
                self._active.model_hash
            ] or not layout_is_current(store, model):
                self._publish(store, current.version)
            else:
                self._recover(store)
        finally:
            store.close()
        self._last_refresh = time.monotonic()
        for target, label in ((self._writer_loop, "writer"), (self._scorer_loop, "scorer")):
            thread = threading.Thread(target=target, name=f"{self.name}-{label}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _recover(self, store: Store) -> None:
        """Rescore the contacts whose last write may not be in their score yet: a write is
        acknowledged once committed, and its contacts are rescored a moment later, so a crash
        (or a stop) in between leaves their scores behind, and no later refresh would notice
        (re-basing moves a score in time, it does not read new events).

        A score reflects every write committed before its transaction began; writes carry the
        clock read before their commit (``received_at_us``, ``updated_at_us``) and scores the
        clock read before their transaction (``as_of_us``). So every write received before
        ``as_of_us - RECOVERY_MARGIN_US`` is in its contact's score, as long as commits take
        less than the margin; the contacts with later writes, or without a score, are
        rescored exactly here, before the service takes requests (everyone, as on a publish,
        when they are more than a tenth of the contacts). On DuckDB the contacts with pending
        events (:mod:`leadscore.scoring.pending`) are rescored too, whatever the clocks said."""
        from leadscore.scoring import pending

        margin = RECOVERY_MARGIN_US
        oldest = store.scalar("SELECT min(as_of_us) FROM scores")
        since = (int(oldest) if oldest is not None else 0) - margin
        rows = store.rows(
            "SELECT DISTINCT e.contact_id, 'event' AS cause FROM events e "
            "JOIN scores s ON s.contact_id = e.contact_id "
            "WHERE e.received_at_us >= ? AND e.received_at_us >= s.as_of_us - ? "
            "UNION ALL "
            "SELECT c.contact_id, 'attributes' AS cause FROM contacts c "
            "LEFT JOIN scores s ON s.contact_id = c.contact_id "
            "WHERE s.contact_id IS NULL OR c.updated_at_us >= s.as_of_us - ? "
            "UNION ALL "
            f"SELECT DISTINCT contact_id, 'event' AS cause FROM {pending.TABLE}",
            [since, margin, margin],
        )
        causes: dict[str, str] = {}
        for row in rows:
            causes.setdefault(str(row["contact_id"]), str(row["cause"]))
        if not causes:
            return
        started = time.perf_counter()
        ids = sorted(causes)
        everyone = int(store.scalar("SELECT count(*) FROM contacts"))
        if len(ids) > max(self.settings.max_score_batch, everyone // 10):
            self._publish(store, self.active.version)  # cheaper in one pass
        else:
            for chunk in _chunks(ids, self.settings.max_score_batch):
                self._rescore(store, {contact_id: causes[contact_id] for contact_id in chunk})
        log.info(
            "workspace '%s': rescored %d contacts with writes after their last score in %.2f s",
            self.name,
            len(ids),
            time.perf_counter() - started,
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Take no more writes; the writer commits what it holds, the scorer scores what waits
        for up to ``timeout`` seconds (what it leaves is rescored at the next start). Returns
        once both threads have ended, so that no thread is left inside a database call when
        the process exits (DuckDB aborts the process then)."""
        self._drain_until = time.monotonic() + timeout
        self._stopping.set()
        self._writes.put(None)
        with self._touched_lock:
            self._touched_lock.notify_all()
        for thread in self._threads:
            thread.join(timeout + STOP_GRACE_S)
            if thread.is_alive():
                log.warning("workspace '%s': %s did not stop in time", self.name, thread.name)
        with self._readers_lock:
            for store in self._readers:
                with contextlib.suppress(Exception):
                    store.close()
            self._readers.clear()

    @property
    def active(self) -> Active:
        if self._active is None:
            raise LeadscoreError(f"workspace '{self.name}' is not started")
        return self._active

    def healthy(self) -> bool:
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    @contextlib.contextmanager
    def reader(self) -> Iterator[Store]:
        """A connection for reads, one per thread, reused."""
        store = getattr(self._local, "store", None)
        if store is not None and not _alive(store):
            self._forget_reader(store)  # e.g. the database server restarted
            store = None
        if store is None:
            store = self.open_store()
            self._local.store = store
            with self._readers_lock:
                self._readers.append(store)
        yield store

    def _forget_reader(self, store: Store) -> None:
        self._local.store = None
        with self._readers_lock:
            if store in self._readers:
                self._readers.remove(store)
        with contextlib.suppress(Exception):
            store.close()

    # ------------------------------------------------------------------ writes
    def _enqueue(self, kind: str, items: list[Any]) -> Future[Any]:
        if self._stopping.is_set():
            raise RuntimeStopped(f"workspace '{self.name}' is shutting down")
        request = _Write(kind, items)
        self._writes.put(request)
        return request.future

    def _submit(self, kind: str, items: list[Any]) -> Any:
        return self._enqueue(kind, items).result()

    def ingest_events(self, events: list[Event]) -> list[ItemResult]:
        """Store events durably; returns accepted / duplicate / rejected per item."""
        return list(self._submit("events", events))

    async def ingest_events_async(self, events: list[Event]) -> list[ItemResult]:
        """:meth:`ingest_events` for the event loop: awaits the durable commit without holding
        a thread."""
        import asyncio

        return list(await asyncio.wrap_future(self._enqueue("events", events)))

    def upsert_contacts(self, contacts: list[Contact]) -> list[ItemResult]:
        """Create or update contacts (attributes merge: new keys overwrite, others stay)."""
        return list(self._submit("contacts", contacts))

    def record_outcomes(self, outcomes: list[Outcome]) -> list[ItemResult]:
        return list(self._submit("outcomes", outcomes))

    def command(self, action: Callable[[Store], Any]) -> Any:
        """Run ``action`` on the scorer's connection, in order with scoring; wait for it."""
        if self._stopping.is_set():
            raise RuntimeStopped(f"workspace '{self.name}' is shutting down")
        command = _Command(action)
        self._commands.put(command)
        with self._touched_lock:
            self._touched_lock.notify_all()
        return command.future.result()

    def refresh(self) -> Update:
        """Bring every score to now (what the timer does)."""
        return self.command(self._refresh)  # type: ignore[no-any-return]

    def publish(self, version: int) -> dict[str, Any]:
        """Rescore everyone with ``version`` and make it the active model."""
        return self.command(lambda store: self._publish(store, version))  # type: ignore[no-any-return]

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every write so far is committed and every touched contact rescored."""
        deadline = time.monotonic() + timeout
        self.command(lambda store: None)  # writes before now are queued behind nothing
        while time.monotonic() < deadline:
            with self._touched_lock:
                idle = not self._touched and self._busy == 0 and self._writes.empty()
            if idle:
                return
            time.sleep(0.01)
        raise TimeoutError("the scorer did not catch up in time")

    # ------------------------------------------------------------------ writer thread
    def _writer_loop(self) -> None:
        store = self.open_store()
        self._guard("reading the contact ids", functools.partial(self._writes_of.warm, store))
        try:
            while True:
                first = self._writes.get()
                if first is None:
                    break
                batch = [first]
                size = len(first.items)
                deadline = time.monotonic() + self.settings.commit_wait_s
                while size < self.settings.max_commit_items:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    try:
                        item = self._writes.get(timeout=remaining)
                    except queue.Empty:
                        break
                    if item is None:
                        self._writes.put(None)
                        break
                    batch.append(item)
                    size += len(item.items)
                self._write_batch(store, batch)
                store = self._usable(store)
        finally:
            while True:  # refuse what is left
                try:
                    left = self._writes.get_nowait()
                except queue.Empty:
                    break
                if left is not None and not left.future.done():
                    left.future.set_exception(RuntimeStopped("shutting down"))
            with contextlib.suppress(Exception):
                store.close()
            self._writes_done.set()
            with self._touched_lock:
                self._touched_lock.notify_all()

    def _write_batch(self, store: Store, batch: list[_Write]) -> None:
        for kind, handler in (
            ("contacts", self._writes_of.contacts),
            ("events", self._writes_of.events),
            ("outcomes", self._writes_of.outcomes),
        ):
            requests = [r for r in batch if r.kind == kind]
            if not requests:
                continue
            try:
                results = handler(store, [item for r in requests for item in r.items])
            except Exception as exc:  # a database fault: every request in the group fails
                log.exception("write of %s failed", kind)
                for r in requests:
                    r.future.set_exception(exc)
                continue
            offset = 0
            for r in requests:
                r.future.set_result(results[offset : offset + len(r.items)])
                offset += len(r.items)

    def _touch(self, touched: dict[str, str]) -> None:
        if not touched:
            return
        with self._touched_lock:
            for contact_id, cause in touched.items():
                self._touched.setdefault(contact_id, cause)
            self._touched_lock.notify_all()

    # ------------------------------------------------------------------ scorer thread
    def _scorer_loop(self) -> None:
        store = self.open_store()
        try:
            # until stopped and the writer is done: its last commits touched contacts too
            while not (self._stopping.is_set() and self._writes_done.is_set()):
                self._run_commands(store)
                with self._touched_lock:
                    if not self._touched and self._commands.empty():
                        self._touched_lock.wait(timeout=0.2)
                    has_work = bool(self._touched)
                if has_work:
                    self._gather(time.monotonic() + self._score_wait())
                    started = time.monotonic()
                    self._score_touched(store)
                    self._last_batch = (started, time.monotonic())
                store = self._usable(store)
                interval = self.settings.refresh_interval_s
                if interval and time.monotonic() - self._last_refresh >= interval:
                    self._guard("refresh", functools.partial(self._refresh, store))
        finally:
            self._run_commands(store)
            # a stop scores what waits, within its time (the next start rescores the rest)
            while time.monotonic() < self._drain_until:
                with self._touched_lock:
                    if not self._touched:
                        break
                self._score_touched(store)
                store = self._usable(store)
            with contextlib.suppress(Exception):
                store.close()

    def _score_wait(self) -> float:
        """How long the scorer waits before its next micro-batch: ``score_delay_s``, or longer
        right after a micro-batch, so that micro-batches take at most ``score_share`` of the
        time (waiting at most ``max_score_wait_s``), unless ``pace_until`` contacts already
        wait. When writes are rare the next batch starts after ``score_delay_s``; under a
        sustained trickle of writes the batches grow instead of running back to back, and each
        costs less per contact; under a flood they run back to back, as large as they come."""
        settings = self.settings
        started, ended = self._last_batch
        with self._touched_lock:
            waiting = len(self._touched)
        if not settings.score_share or ended <= started or waiting >= settings.pace_until:
            return settings.score_delay_s
        share = min(settings.score_share, 1.0)
        rest = (ended - started) * (1 - share) / share - (time.monotonic() - ended)
        return max(settings.score_delay_s, min(rest, settings.max_score_wait_s))

    def _gather(self, until: float) -> None:
        """Let touched contacts gather until ``until``, or until ``pace_until`` of them wait,
        or a stop."""
        with self._touched_lock:
            while len(self._touched) < self.settings.pace_until and not self._stopping.is_set():
                left = until - time.monotonic()
                if left <= 0:
                    return
                self._touched_lock.wait(left)

    def _guard(self, what: str, action: Callable[[], Any]) -> None:
        try:
            action()
        except Exception as exc:
            log.exception("%s failed", what)
            self.errors.append(f"{what}: {exc}")

    def _run_commands(self, store: Store) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            try:
                command.future.set_result(command.action(store))
            except Exception as exc:
                command.future.set_exception(exc)

    def _score_touched(self, store: Store) -> None:
        with self._touched_lock:
            # the first touched, without copying a long backlog
            picked = dict(itertools.islice(self._touched.items(), self.settings.max_score_batch))
            for contact_id in picked:
                del self._touched[contact_id]
            self._busy += 1
        try:
            self._rescore(store, picked)
        except Exception as exc:
            log.exception("rescoring failed")
            self.errors.append(f"rescoring: {exc}")
            if not _alive(store):  # the connection broke: these contacts wait for the next one
                self._touch(picked)
        finally:
            with self._touched_lock:
                self._busy -= 1

    def _usable(self, store: Store) -> Store:
        """``store``, or a new connection when it broke (e.g. the database server restarted);
        the old one when a new one cannot be opened yet (tried again after the next batch)."""
        if _alive(store):
            return store
        with contextlib.suppress(Exception):
            store.close()
        try:
            fresh = self.open_store()
        except Exception:
            log.exception("workspace '%s': cannot reconnect to the database yet", self.name)
            time.sleep(RECONNECT_WAIT_S)
            return store
        log.warning("workspace '%s': reconnected to the database", self.name)
        return fresh

    def _after(self, causes: dict[str, str] | str) -> Callable[[Store, Update], None]:
        from leadscore.service import history

        def hook(store: Store, update: Update) -> None:
            active = self.active
            if update.changed_table is not None:
                self._seq = history.record_time_changes(
                    store, update.changed_table, update.as_of_us, active.version, self._seq
                )
            else:
                self._seq = history.record_changes(
                    store, update.changes, causes, update.as_of_us, active.version, self._seq
                )
            alerts = history.create_alerts(
                store,
                active.model,
                self.name,
                update.changes,
                causes,
                update.as_of_us,
                scores=update.after_table,
            )
            if alerts:
                from leadscore.service.webhooks import enqueue_deliveries

                enqueue_deliveries(store, alerts, update.as_of_us)

        return hook

    def _rescore(self, store: Store, causes: dict[str, str]) -> Update:
        """Rescore the contacts of ``causes`` now with the active version's
        :class:`~leadscore.scoring.rescorer.Rescorer` (its queries rendered once per version):
        from all their events, or on DuckDB, for contacts with long histories
        (``merge_from``), from each stored score plus the contact's pending events where that
        is exact."""
        from leadscore.scoring.rescorer import Rescorer
        from leadscore.store.base import exclusive

        active = self.active
        rescorer = self._rescorer
        if rescorer is None or rescorer.model is not active.model:
            rescorer = Rescorer(
                active.model,
                store.dialect,
                f"v{active.version}",
                merge=exclusive(store),
                merge_from=self.settings.merge_from,
            )
            self._rescorer = rescorer
        return rescorer.run(store, list(causes), self.settings.clock(), self._after(causes))

    def _refresh(self, store: Store) -> Update:
        from leadscore.scoring.incremental import refresh
        from leadscore.scoring.run import score_store

        active = self.active
        now = self.settings.clock()
        update = refresh(
            store,
            active.model,
            now,
            run_id=f"v{active.version}",
            hook=self._after("time"),
            check_model=False,
        )
        if active.model.accounts is not None or active.model.deals is not None:
            score_store(store, active.model, now, entities=("accounts", "deals"))
        self._last_refresh = time.monotonic()
        return update

    def _publish(self, store: Store, version: int) -> dict[str, Any]:
        """Score everyone with ``version`` in one transaction and make it active."""
        from leadscore.scoring import pending
        from leadscore.scoring.incremental import Change, changes_from, score_constants
        from leadscore.scoring.run import model_hash
        from leadscore.service import history, versions
        from leadscore.store.base import with_constants

        chosen = versions.get_version(store, version)
        model = chosen.load()
        now = self.settings.clock()
        from leadscore.compile.contacts import compile_contacts

        compiled = compile_contacts(model, now, store.dialect)
        constants = score_constants(model, now, f"v{version}")
        previous = self._active
        self._active = Active(version, model, model_hash(model))
        had_scores = store.has_table("scores")
        try:
            with store.transaction():
                if had_scores:
                    store.drop_table("_scores_before")
                    store.rename_table("scores", "_scores_before")
                store.create_table_as(
                    "scores", with_constants(compiled.query, constants, store.dialect)
                )
                pending.clear(store)  # every event is read: none stays pending
                changes: list[Change] = []
                if had_scores:
                    changes = changes_from(store, "scores", "_scores_before", ordered=False)
                    self._seq = history.record_changes(
                        store, changes, "model", now, version, self._seq
                    )
                    alerts = history.create_alerts(store, model, self.name, changes, "model", now)
                    if alerts:
                        from leadscore.service.webhooks import enqueue_deliveries

                        enqueue_deliveries(store, alerts, now)
                    store.drop_table("_scores_before")
                versions.mark_published(store, version, now)
        except Exception:
            self._active = previous
            raise
        if model.accounts is not None or model.deals is not None:
            from leadscore.scoring.run import score_store

            score_store(store, model, now, entities=("accounts", "deals"))
        moved = sum(1 for c in changes if c.grade_changed)
        return {
            "version": version,
            "scored": int(store.scalar("SELECT count(*) FROM scores")),
            "changed_grade": moved,
        }
