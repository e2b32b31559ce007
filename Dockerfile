# One image for every service; the command chooses which one runs.
FROM denoland/deno:2.9.6

WORKDIR /app
COPY deno.json deno.lock ./
COPY shared/ shared/
COPY proto/ proto/
COPY services/ services/
COPY migrations/ migrations/
COPY scripts/ scripts/
RUN deno install && deno cache services/*/main.ts scripts/migrate.ts

USER deno
# e.g. `deno run --allow-all services/gateway/main.ts`
CMD ["run", "--allow-all", "services/gateway/main.ts"]
