# One image for every hyposcore service; docker-compose.yml picks the command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HYPOSCORE_DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY common ./common
COPY hyposcore ./hyposcore
COPY storage ./storage
COPY scoring ./scoring
COPY debates ./debates
COPY workers ./workers
COPY api ./api
COPY wiki ./wiki
RUN pip install --no-cache-dir '.[openai,anthropic,flower]' && useradd --create-home hyposcore \
    && mkdir -p /data && chown hyposcore /data
USER hyposcore
EXPOSE 8000 5555
CMD ["hyposcore", "serve", "--host", "0.0.0.0", "--port", "8000"]
