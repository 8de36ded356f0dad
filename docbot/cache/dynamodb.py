"""The shared cache: one DynamoDB table used by every runner and repository.

Table shape (``deploy/cloudformation.yaml``, ``docbot cache init``): on-demand billing, hash key
``file_hash`` (S), TTL attribute ``ttl`` (N, epoch seconds). Each item also holds the zlib-compressed
value and what producing it cost, so a hit can report the money it saved.

Only this module imports boto3. Every failure on the run's path fails open: the cache records why in
``error``, sets ``available = False`` and from then on misses and drops writes, so a broken cache makes
a run dearer, never red. The operator commands (``stats``, ``purge``, ``init_table``) raise instead.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError
from botocore.exceptions import ConnectionError as BotoConnectionError
from tenacity import Retrying, retry_if_exception, retry_if_result, stop_after_attempt
from tenacity.wait import wait_random_exponential

from docbot.cache import MAX_VALUE_BYTES, CacheEntry, CacheStats, Validator, is_live, refusal, trusted_entry
from docbot.errors import ConfigError, DocbotError, TransientError
from docbot.plural import count

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

log = logging.getLogger("docbot.cache")

HASH_KEY = "file_hash"
TTL_ATTRIBUTE = "ttl"
# DynamoDB's per-call limits (BatchGetItem 100 keys, BatchWriteItem 25 requests).
READ_BATCH = 100
WRITE_BATCH = 25
# DynamoDB allows 400 KB (409,600 bytes) per item, names included; moto counts a little differently and
# refuses at about 405,000. Staying under both keeps one oversized item from failing a whole batch.
MAX_ITEM_BYTES = 400_000
# Throttling and server-side errors are worth another try; everything else (missing table, no
# permission, bad request) will fail the same way again.
_RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


def _is_retryable(exc: BaseException) -> bool:
    if not isinstance(exc, ClientError):
        return False
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return exc.response.get("Error", {}).get("Code", "") in _RETRYABLE_CODES or status >= 500


def make_client(region: str | None, endpoint_url: str | None) -> DynamoDBClient:
    """A DynamoDB client with botocore's own retries off: ``DynamoCache`` retries itself.

    botocore's standard mode would sleep up to seconds per throttled call with ``time.sleep``, out of
    reach of the injected sleep; one policy of ours makes waits visible and testable.

    Raises:
        ConfigError: no region is configured.
    """
    config = Config(
        retries={"mode": "standard", "total_max_attempts": 1},
        # A cache that answers slowly is worse than none: give up fast and run uncached.
        connect_timeout=3,
        read_timeout=10,
    )
    try:
        if endpoint_url:
            _ = urlsplit(endpoint_url).port  # a bad port raises ValueError now, not at the first call
        return boto3.session.Session().client(
            "dynamodb", region_name=region, endpoint_url=endpoint_url, config=config
        )
    except NoRegionError as exc:
        raise ConfigError(
            "the DynamoDB cache needs an AWS region; set AWS_REGION (or pass --region)"
        ) from exc
    except ValueError as exc:  # botocore's "Invalid endpoint: ..." for a malformed URL
        raise ConfigError(
            f"DynamoDB endpoint {endpoint_url!r} is not usable ({exc}); "
            "set AWS_ENDPOINT_URL_DYNAMODB to a URL such as http://127.0.0.1:8000"
        ) from exc


class DynamoCache:
    """A ``Cache`` in a DynamoDB table, shared by every runner.

    Args:
        table: the table name.
        region: AWS region; ``None`` leaves it to boto3 (profile, ``AWS_DEFAULT_REGION``).
        endpoint_url: a DynamoDB-compatible endpoint (moto, DynamoDB Local); ``None`` for AWS.
        ttl_seconds: lifetime of new items.
        clock: epoch seconds now; reads treat items whose ``ttl`` is past as misses, because DynamoDB
            deletes expired items lazily (typically within two days) and moto never does.
        sleep: how to wait between retries (tests pass a recorder).
        max_attempts: attempts per batch call, counting the first.
        client: a ready client (tests, benchmarks); built from ``region``/``endpoint_url`` otherwise.
        check_table: describe the table on open, so a missing table is reported before the run starts.
    """

    backend = "dynamodb"

    def __init__(
        self,
        table: str,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        ttl_seconds: float = 86400,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 5,
        client: DynamoDBClient | None = None,
        check_table: bool = True,
    ) -> None:
        self.table = table
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._sleep = sleep
        self._max_attempts = max_attempts
        self.available = True
        self.error: str | None = None
        self.rejected = 0
        self.read_calls = 0
        self.write_calls = 0
        self._endpoint = endpoint_url or "AWS"
        self._region = region
        self._owns_client = client is None
        try:
            self._client = client or make_client(region, endpoint_url)
        except ConfigError as exc:
            self._fail_open(str(exc))
            return
        self._region = self._client.meta.region_name
        if check_table:
            try:
                self._client.describe_table(TableName=table)
            except (ClientError, BotoCoreError) as exc:
                self._fail_open(self.explain("DescribeTable", exc))

    @property
    def location(self) -> str:
        return f"{self.table} ({self._region}, {self._endpoint})"

    # --- the run's path: fail open ---

    def get_many(self, keys: Sequence[str], *, validate: Validator | None = None) -> dict[str, CacheEntry]:
        """The live entries among ``keys``, read ``READ_BATCH`` keys per BatchGetItem call.

        Each item is checked as untrusted (anyone who can write the table can plant one): an item
        without docbot's attributes, types and sizes, or refused by ``validate``, is a miss and counts
        in ``rejected``.
        """
        found: dict[str, CacheEntry] = {}
        unique = list(dict.fromkeys(keys))
        asked = set(unique)
        now = self._clock()
        rejected = 0
        for i in range(0, len(unique) if self.available else 0, READ_BATCH):
            pending: dict[str, Any] = {
                self.table: {"Keys": [{HASH_KEY: {"S": k}} for k in unique[i : i + READ_BATCH]]}
            }

            def once() -> dict[str, Any]:
                nonlocal pending, rejected
                self.read_calls += 1
                response = self._client.batch_get_item(RequestItems=pending)
                for item in response.get("Responses", {}).get(self.table, []):
                    key = _attribute(item, HASH_KEY, "S")
                    if not isinstance(key, str) or key not in asked:
                        continue  # not an answer to this lookup
                    expires = _integer(_attribute(item, TTL_ATTRIBUTE, "N"))
                    if expires is not None and not is_live(expires, now, self.ttl_seconds):
                        continue  # expired: a plain miss, which DynamoDB will delete in its own time
                    entry = None if expires is None else _decode(item)
                    if entry is None or (validate is not None and not validate(key, entry.value)):
                        rejected += 1
                        continue
                    found[key] = entry
                pending = dict(response.get("UnprocessedKeys") or {})
                return pending

            if not self._drain("BatchGetItem", once, unit="keys"):
                break
        if rejected:
            self.rejected += rejected
            log.warning(
                "ignored %s in %s that docbot did not write; regenerating",
                count(rejected, "cached item"),
                self.location,
            )
        return found

    def put_many(self, entries: Mapping[str, CacheEntry]) -> dict[str, str]:
        """Store ``entries`` with ``WRITE_BATCH`` puts per BatchWriteItem call; refuse oversized items.

        Two runners writing the same key is harmless: both values describe the same content, and
        DynamoDB keeps whichever put lands last, whole.
        """
        refused: dict[str, str] = {}
        if not self.available or not entries:
            return refused
        expires = int(self._clock() + self.ttl_seconds)
        requests: list[dict[str, Any]] = []
        for key, entry in entries.items():
            why = refusal(entry)
            if why is not None:
                refused[key] = why
                continue
            item = _encode(key, entry, expires)
            size = _item_size(item)
            if size > MAX_ITEM_BYTES:
                refused[key] = (
                    f"item of {size:,} bytes (compressed) is over DynamoDB's 400 KB item limit; not cached"
                )
                continue
            requests.append({"PutRequest": {"Item": item}})
        for i in range(0, len(requests), WRITE_BATCH):
            if not self._write(requests[i : i + WRITE_BATCH]):
                break
        return refused

    def _write(self, requests: list[dict[str, Any]]) -> bool:
        pending: dict[str, Any] = {self.table: requests}

        def once() -> dict[str, Any]:
            nonlocal pending
            self.write_calls += 1
            response = self._client.batch_write_item(RequestItems=pending)
            pending = dict(response.get("UnprocessedItems") or {})
            return pending

        return self._drain("BatchWriteItem", once, unit="items")

    def _drain(self, operation: str, once: Callable[[], dict[str, Any]], *, unit: str) -> bool:
        """Call ``once`` until nothing is left unprocessed, under the retry policy.

        Returns:
            True when everything was processed; False after failing open.
        """
        # Full-jitter exponential backoff (AWS's advice for batch leftovers and throttling): runners
        # sharing the table spread their retries instead of colliding again.
        retrying = Retrying(
            stop=stop_after_attempt(self._max_attempts),
            wait=wait_random_exponential(multiplier=0.05, max=2.0),
            retry=retry_if_exception(_is_retryable) | retry_if_result(bool),
            sleep=self._sleep,
            # Out of attempts: hand back the last leftovers, or raise the last error.
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        )
        try:
            leftover = retrying(once)
        except (ClientError, BotoCoreError) as exc:
            self._fail_open(self.explain(operation, exc))
            return False
        if leftover:
            # UnprocessedKeys is {table: {"Keys": [...]}}; UnprocessedItems is {table: [...]}.
            left = sum(len(v["Keys"]) if isinstance(v, dict) else len(v) for v in leftover.values())
            self._fail_open(
                f"DynamoDB {operation} on table {self.table!r} still had {left} unprocessed {unit} after "
                f"{self._max_attempts} attempts (throttled); ran uncached from then on"
            )
            return False
        return True

    def _fail_open(self, message: str) -> None:
        if self.available:
            log.warning("DynamoDB cache unavailable, running uncached: %s", message)
        self.available = False
        self.error = self.error or message

    def explain(self, operation: str, exc: BaseException) -> str:
        """A message for a botocore failure that says what went wrong and what to do about it."""
        where = f"table {self.table!r} in {self._region or 'no region'} at {self._endpoint}"
        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "")
            text = exc.response.get("Error", {}).get("Message", "")
            if code == "ResourceNotFoundException":
                return (
                    f"DynamoDB {where} does not exist; create it with `docbot cache init --table "
                    f"{self.table}` or deploy deploy/cloudformation.yaml"
                )
            if code in {"AccessDeniedException", "UnrecognizedClientException"}:
                return f"DynamoDB {operation} on {where} was refused ({code}: {text}); see docs/deployment.md"
            if _is_retryable(exc):
                return (
                    f"DynamoDB {operation} on {where} failed {self._max_attempts} times ({code}: {text}); "
                    "ran uncached from then on"
                )
            return f"DynamoDB {operation} on {where} failed ({code}: {text})"
        if isinstance(exc, NoCredentialsError):
            return (
                f"no AWS credentials for DynamoDB {where}; configure them (for example "
                "aws-actions/configure-aws-credentials) or use --cache sqlite"
            )
        if isinstance(exc, BotoConnectionError):
            return f"DynamoDB endpoint {self._endpoint} unreachable for {where}: {exc}"
        return f"DynamoDB {operation} on {where} failed: {exc}"

    # --- operator commands: raise ---

    def _raise(self, operation: str, exc: ClientError | BotoCoreError) -> DocbotError:
        message = self.explain(operation, exc)
        if isinstance(exc, ClientError) and not _is_retryable(exc):
            return ConfigError(message)
        if isinstance(exc, NoCredentialsError):
            return ConfigError(message)
        return TransientError(message)

    def _require(self) -> None:
        if not self.available:
            raise ConfigError(self.error or f"DynamoDB cache {self.location} unavailable")

    def _scan(self, projection: str, names: dict[str, str]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        try:
            pages = self._client.get_paginator("scan").paginate(
                TableName=self.table, ProjectionExpression=projection, ExpressionAttributeNames=names
            )
            for page in pages:
                items.extend(page.get("Items", []))
        except (ClientError, BotoCoreError) as exc:
            raise self._raise("Scan", exc) from exc
        return items

    def stats(self) -> CacheStats:
        """Scan the table (reads every item once: mind the cost on a large table) and count.

        Raises:
            ConfigError: the table is missing or not readable with these credentials.
            TransientError: DynamoDB throttled or failed the scan.
        """
        self._require()
        try:
            ttl = self._client.describe_time_to_live(TableName=self.table)["TimeToLiveDescription"]
            table = self._client.describe_table(TableName=self.table)["Table"]
        except (ClientError, BotoCoreError) as exc:
            raise self._raise("DescribeTable", exc) from exc
        now = self._clock()
        live = expired = 0
        cost = 0.0
        for item in self._scan("#k, #t, cost_usd", {"#k": HASH_KEY, "#t": TTL_ATTRIBUTE}):
            # Planted items may lack or garble these; count them, never fail the command on them.
            if (_integer(_attribute(item, TTL_ATTRIBUTE, "N")) or 0) <= now:
                expired += 1
                continue
            live += 1
            cost += _real(_attribute(item, "cost_usd", "N")) or 0.0
        return CacheStats(
            backend=self.backend,
            location=self.location,
            entries=live,
            expired=expired,
            stored_cost_usd=cost,
            details=(
                ("table_status", str(table.get("TableStatus", ""))),
                ("billing_mode", str(table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"))),
                ("ttl_status", str(ttl.get("TimeToLiveStatus", ""))),
                ("ttl_attribute", str(ttl.get("AttributeName", ""))),
                ("ttl_hours", f"{self.ttl_seconds / 3600:g}"),
            ),
        )

    def purge(self) -> int:
        """Delete every item, 25 per BatchWriteItem call.

        Raises:
            ConfigError: the table is missing or not writable with these credentials.
            TransientError: DynamoDB throttled or failed a call.
        """
        self._require()
        keys = [item[HASH_KEY]["S"] for item in self._scan("#k", {"#k": HASH_KEY})]
        for i in range(0, len(keys), WRITE_BATCH):
            batch = [{"DeleteRequest": {"Key": {HASH_KEY: {"S": k}}}} for k in keys[i : i + WRITE_BATCH]]
            if not self._write(batch):
                raise TransientError(f"purge stopped after deleting up to {i} items: {self.error}")
        return len(keys)

    def close(self) -> None:
        if self._owns_client and hasattr(self, "_client"):
            self._client.close()


def _number(value: float) -> str:
    # The shortest decimal that round-trips the float, written out without an exponent ("0.00001",
    # not "1e-05"): DynamoDB numbers are decimal strings, and the cost must come back exactly.
    return format(Decimal(repr(float(value))), "f")


def _encode(key: str, entry: CacheEntry, expires: int) -> dict[str, Any]:
    return {
        HASH_KEY: {"S": key},
        TTL_ATTRIBUTE: {"N": str(expires)},
        "value": {"B": zlib.compress(entry.value.encode("utf-8"), 6)},
        "model": {"S": entry.model},
        "created": {"N": _number(entry.created)},
        "input_tokens": {"N": str(int(entry.input_tokens))},
        "output_tokens": {"N": str(int(entry.output_tokens))},
        "cost_usd": {"N": _number(entry.cost_usd)},
    }


def _attribute(item: Mapping[str, Any], name: str, kind: str) -> object:
    """The ``kind`` ("S", "N", "B") value of attribute ``name``, or ``None`` if it has another shape."""
    attribute = item.get(name)
    return attribute.get(kind) if isinstance(attribute, dict) else None


def _integer(number: object) -> int | None:
    try:
        return int(number) if isinstance(number, str) else None
    except ValueError:  # "1.5", or more digits than int() will parse
        return None


def _real(number: object) -> float | None:
    try:
        return float(number) if isinstance(number, str) else None
    except ValueError:
        return None


def _inflate(blob: object) -> bytes | None:
    """The decompressed value, or ``None`` if it is not zlib data or inflates past ``MAX_VALUE_BYTES``.

    Bounded, because a planted item of a few hundred kilobytes could otherwise inflate to gigabytes.
    """
    if not isinstance(blob, bytes):
        return None
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(blob, MAX_VALUE_BYTES + 1)
    except zlib.error:
        return None
    # Not at the end of the stream: truncated, or longer than the bound.
    return data if inflater.eof and len(data) <= MAX_VALUE_BYTES else None


def _decode(item: Mapping[str, Any]) -> CacheEntry | None:
    """The entry an item holds, or ``None`` if any attribute is not what ``_encode`` writes."""
    return trusted_entry(
        value=_inflate(_attribute(item, "value", "B")),
        model=_attribute(item, "model", "S"),
        created=_real(_attribute(item, "created", "N")),
        input_tokens=_integer(_attribute(item, "input_tokens", "N")),
        output_tokens=_integer(_attribute(item, "output_tokens", "N")),
        cost_usd=_real(_attribute(item, "cost_usd", "N")),
    )


def _item_size(item: Mapping[str, Any]) -> int:
    """DynamoDB's size of an item: UTF-8 names plus values (numbers counted generously)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        (kind, data), *_ = value.items()
        size += len(data) if kind == "B" else len(str(data).encode()) + (1 if kind == "N" else 0)
    return size


def init_table(
    table: str,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    client: DynamoDBClient | None = None,
) -> dict[str, object]:
    """Create the cache table (on-demand, ``file_hash`` key) and enable TTL on ``ttl``, idempotently.

    Returns:
        What was done: ``{"table", "region", "created", "ttl_enabled", "ttl_attribute"}``.

    Raises:
        ConfigError: no region or credentials, no permission, or the table expires items by another
            attribute.
        TransientError: DynamoDB throttled or failed.
    """
    helper = DynamoCache(table, region=region, endpoint_url=endpoint_url, client=client, check_table=False)
    if not helper.available:
        raise ConfigError(helper.error or "DynamoDB unavailable")
    db = helper._client
    created = False
    try:
        try:
            db.create_table(
                TableName=table,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": HASH_KEY, "AttributeType": "S"}],
                KeySchema=[{"AttributeName": HASH_KEY, "KeyType": "HASH"}],
                Tags=[{"Key": "app", "Value": "docbot"}],
            )
            created = True
        except ClientError as exc:
            # "Table already exists": someone (or an earlier init) made it; check it is usable below.
            if exc.response.get("Error", {}).get("Code") != "ResourceInUseException":
                raise
        db.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 2, "MaxAttempts": 60})
        described = db.describe_table(TableName=table)["Table"]
        schema = [(k["AttributeName"], k["KeyType"]) for k in described.get("KeySchema", [])]
        if schema != [(HASH_KEY, "HASH")]:
            raise ConfigError(
                f"table {table!r} exists with key schema {schema}, not docbot's ({HASH_KEY!r} hash key); "
                "pick another --table"
            )
        ttl = db.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        status, attribute = ttl.get("TimeToLiveStatus", "DISABLED"), ttl.get("AttributeName")
        enabled_now = False
        if status in {"ENABLED", "ENABLING"}:
            if attribute != TTL_ATTRIBUTE:
                raise ConfigError(
                    f"table {table!r} expires items by {attribute!r}, but docbot writes {TTL_ATTRIBUTE!r}; "
                    "pick another --table"
                )
        else:
            db.update_time_to_live(
                TableName=table,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
            )
            enabled_now = True
    except (ClientError, BotoCoreError) as exc:
        raise helper._raise("init", exc) from exc
    finally:
        helper.close()
    return {
        "table": table,
        "region": helper._region,
        "created": created,
        "ttl_enabled": enabled_now,
        "ttl_attribute": TTL_ATTRIBUTE,
    }
