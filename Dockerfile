# kubedock-dns image: one static-ish binary made by `deno compile`, run as non-root on distroless.
# The permissions are baked into the binary from the permission set "kubedock-dns" in deno.json,
# the same set `deno task start` uses: one list, no copy.
#
# POD_NETWORKS (comma-separated) replaces the set's ranges: every range replies and connections
# go to (pod networks, the Service network, the API server). Empty keeps deno.json's default
# (10/8, 172.16/12, 192.168/16, 100.64/10). A list with an IPv6 range builds the UNRESTRICTED set
# (every address but the cloud metadata endpoints): Deno's --allow-net takes no IPv6 CIDRs.
#   docker build --build-arg POD_NETWORKS=10.0.0.0/8,203.0.113.0/24 -t kubedock-dns:0.1.0 .

FROM denoland/deno:2.9.6 AS build
ARG POD_NETWORKS=""
WORKDIR /app
COPY deno.json deno.lock ./
COPY main.ts ./
COPY src/ ./src/
COPY scripts/pod_networks.ts ./scripts/
RUN deno install --frozen --entrypoint main.ts
RUN if [ -n "$POD_NETWORKS" ]; then \
      deno run --no-prompt --allow-read=deno.json --allow-write=deno.json scripts/pod_networks.ts "$POD_NETWORKS"; \
    fi
RUN deno compile --frozen --no-prompt --v8-flags=--max-semi-space-size=1,--min-semi-space-size=1,--heap-growing-percent=10 -P=kubedock-dns --output /out/kubedock-dns main.ts

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/kubedock-dns /usr/local/bin/kubedock-dns
USER 65532:65532
EXPOSE 1053/udp 1053/tcp 8443/tcp 8080/tcp
ENTRYPOINT ["/usr/local/bin/kubedock-dns"]
