# The docbot Action image. Dependencies come from the same hash-pinned lock file the tests use.
FROM python:3.12-slim

# git: docbot diffs the checked-out repository.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git=1:2.* \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.lock /docbot/requirements.lock
RUN pip install --no-cache-dir --require-hashes --no-deps -r /docbot/requirements.lock

COPY pyproject.toml README.md /docbot/
COPY docbot /docbot/docbot
COPY entrypoint.py /docbot/entrypoint.py
RUN pip install --no-cache-dir --no-deps --no-build-isolation /docbot

ENTRYPOINT ["python", "/docbot/entrypoint.py"]
