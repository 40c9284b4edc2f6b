# The official Apache Superset image, the version bi/uv.lock pins, plus the PostgreSQL driver
# it deliberately leaves out (the same psycopg2-binary as apache-superset[postgres]).
FROM apache/superset:6.1.0
USER root
RUN . /app/.venv/bin/activate && uv pip install --no-cache psycopg2-binary==2.9.9
USER superset
