# Model service (issue #4): training, running one replica, tests, benchmark.
MODEL_DIR := model-service/predictive_models/gdp_growth_rate
MODEL ?= LinearRegression
MODEL_PORT ?= 8101

.PHONY: train train-check run-model test-model bench-model

# Fit every model on statsmodels' macrodata and write <name>.skops + <name>.json (committed).
train: setup
	uv run python -m model_service.training --out $(MODEL_DIR)

# Retrain into a temporary directory and compare with the committed artifacts (byte for byte).
train-check: setup
	@tmp=$$(mktemp -d) && uv run python -m model_service.training --out $$tmp >/dev/null && \
	  diff <(cd $(MODEL_DIR) && sha256sum * | sort) <(cd $$tmp && sha256sum * | sort) && \
	  echo "artifacts reproducible" ; rc=$$?; rm -rf $$tmp; exit $$rc

# One replica in the foreground, e.g. make run-model MODEL=RandomForest MODEL_PORT=8102
run-model: setup
	GDP_MODEL_NAME=$(MODEL) SERVICE_PORT=$(MODEL_PORT) uv run python -m model_service

test-model: setup
	uv run pytest tests/model_service $(PYTEST_ARGS)

bench-model: setup
	uv run python bench/model/predict_throughput.py --seconds $${MODEL_BENCH_SECONDS:-1.5}
BENCH_TARGETS += bench-model
