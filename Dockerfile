# The dashboard in a container, with its data made into a bundle once, at build time (see README: Deploy).
#   docker build -t pfocr-dashboard .                                   # the embedded seeds
#   docker build -t pfocr-dashboard --build-arg DATA=pfocr-site .       # a PFOCR site checkout in the context
#   docker run -p 8050:8050 pfocr-dashboard
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip install --no-cache-dir -r requirements.txt
ARG DATA=seeds
RUN python -m dashboard build "$DATA" --out /bundle --no-cache

FROM python:3.11-slim
COPY --from=build /usr/local /usr/local
COPY --from=build /bundle /data/bundle
WORKDIR /app
ENV PFOCR_DATA=/data/bundle PORT=8050
EXPOSE 8050
# Binds $PORT, then becomes gunicorn (--preload, $WEB_CONCURRENCY workers, default 2) on the bundle: read-only,
# memory-mapped, nothing written.
CMD ["python", "-m", "dashboard", "web"]
