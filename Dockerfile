# The docbot Action image. Dependencies come from the same hash-pinned lock file the tests use.
# The image holds the runtime only: .dockerignore lets in the lock, the package metadata, docbot/ and
# entrypoint.py, never tests/, bench/ or the loopback servers.
FROM python:3.12-slim

# No buffering: log lines reach the runner as they are written. pip compiles the bytecode at build
# time, so the unprivileged user the entrypoint switches to never needs to write it.
ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# git: docbot diffs the checked-out repository.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git=1:2.* \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.lock /docbot/requirements.lock
RUN pip install --no-cache-dir --require-hashes --no-deps -r /docbot/requirements.lock

COPY pyproject.toml README.md LICENSE /docbot/
COPY docbot /docbot/docbot
COPY entrypoint.py /docbot/entrypoint.py
RUN pip install --no-cache-dir --no-deps --no-build-isolation /docbot

# No USER line: the runner starts Docker actions as root and mounts folders owned by its own user,
# whose uid varies between runners. entrypoint.py switches to the workspace's owner before the run
# (docbot/action/user.py); DOCBOT_RUN_AS_ROOT=true keeps root.
ENTRYPOINT ["python", "/docbot/entrypoint.py"]
