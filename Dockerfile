# kubedock-dns image: one static-ish binary made by `deno compile`, run as non-root on distroless.
# The permissions are baked into the binary from the permission set "kubedock-dns" in deno.json,
# the same set `deno task start` uses: one list, no copy.

FROM denoland/deno:2.9.6 AS build
WORKDIR /app
COPY deno.json deno.lock ./
COPY main.ts ./
COPY src/ ./src/
RUN deno install --frozen --entrypoint main.ts
RUN deno compile --frozen --no-prompt --v8-flags=--optimize-for-size -P=kubedock-dns --output /out/kubedock-dns main.ts

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/kubedock-dns /usr/local/bin/kubedock-dns
USER 65532:65532
EXPOSE 1053/udp 1053/tcp 8443/tcp 8080/tcp
ENTRYPOINT ["/usr/local/bin/kubedock-dns"]
