# syntax=docker/dockerfile:1
#
# novita-mock: a local emulator of the Novita AI image API.
#
#   docker build -t novita-mock .
#   docker run --rm -p 8080:8080 -e NOVITA_MOCK_PUBLIC_URL=http://localhost:8080 novita-mock
#
# Two stages: the official Swift image builds a release binary with the Swift runtime linked in
# statically; a slim Debian image runs it with only the C libraries it links (libmicrohttpd,
# libpng, libjpeg-turbo, libwebp, openh264; GnuTLS comes with libmicrohttpd). See docs/docker.md.

# The base images, as build arguments only so that a machine without registry access can
# substitute local copies (scripts/container-test does); normal builds leave them alone.
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------------------------
FROM ${SWIFT_IMAGE} AS build

RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update \
    && apt-get install -y --no-install-recommends \
        libmicrohttpd-dev libgnutls28-dev libpng-dev libturbojpeg0-dev libwebp-dev libopenh264-dev pkg-config \
        ca-certificates \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src

# The manifest alone first: dependencies resolve in a layer that survives source edits.
COPY Package.* ./
RUN swift package resolve

# Tests too: the manifest names the test targets and SwiftPM checks that their folders exist.
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product novita-mock \
    && mkdir -p /staging \
    && cp "$(swift build -c release --static-swift-stdlib --product novita-mock --show-bin-path)/novita-mock" /staging/ \
    && strip /staging/novita-mock

# ---------------------------------------------------------------------------------------------
# The runtime file system, prepared in its own stage and then copied whole into an empty image
# (below), so that what is deleted here never reaches the image as a hidden lower layer.
FROM ${RUNTIME_IMAGE} AS runtime

# Runtime libraries only: no -dev packages, no compilers, no recommends. libopenh264-7 (~1.1 MB,
# needs only libstdc++, already in the base) encodes the H.264 of video results. Then what the
# service never reads goes: apt's lists and caches, logs, documentation, and glibc's gconv
# character-set modules (8.4 MB; iconv is not used — UTF-8 and ASCII are built into glibc). apt,
# dpkg and perl stay, so a derived image can still `apt-get install` debugging tools.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update \
    && apt-get install -y --no-install-recommends \
        libmicrohttpd12 libpng16-16 libturbojpeg0 libwebp7 libwebpmux3 libwebpdemux2 libopenh264-7 \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb \
        /var/cache/debconf/*-old /var/lib/dpkg/*-old /var/log/apt /var/log/dpkg.log /var/log/alternatives.log \
        /usr/share/doc/* /usr/share/man/* /usr/share/info/* \
        /usr/lib/x86_64-linux-gnu/gconv /usr/lib/aarch64-linux-gnu/gconv \
    && groupadd --system --gid 10001 novita \
    && useradd --system --uid 10001 --gid novita --home-dir /var/lib/novita-mock --no-create-home \
        --shell /usr/sbin/nologin novita \
    && install -d -o novita -g novita -m 0755 /var/lib/novita-mock

# ---------------------------------------------------------------------------------------------
FROM scratch

ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="novita-mock" \
      org.opencontainers.image.description="Local emulator of the Novita AI image and video API for tests" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.documentation="docs/docker.md"

COPY --from=runtime / /

# The CA bundle outbound https trusts (webhooks and S3 uploads to https endpoints; GnuTLS reads
# it), taken from the builder rather than installing ca-certificates, which would pull in the
# openssl tool (~3 MB). SSL_CERT_FILE names another bundle.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /staging/novita-mock /usr/local/bin/novita-mock

# Relative paths (./mock-storage, a --state-dir of ./state) land here, writable by the service user.
WORKDIR /var/lib/novita-mock
USER 10001:10001

# HTTPS (transparent mode, docs/transparent.md) starts only when NOVITA_MOCK_TLS_CERT and
# NOVITA_MOCK_TLS_KEY name files; then on 443 (Docker and podman let an unprivileged user bind it
# inside the container's network namespace).
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NOVITA_MOCK_HOST=0.0.0.0 \
    NOVITA_MOCK_PORT=8080 \
    NOVITA_MOCK_TLS_PORT=443
EXPOSE 8080 443

# The probe reads NOVITA_MOCK_PORT, so it follows a changed port. Ready answers 503 while
# starting and while draining; start-up takes well under a second.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["novita-mock", "healthcheck"]

# SIGTERM drains: stop accepting, finish in-flight requests, exit 0 (within 10 s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["novita-mock"]
