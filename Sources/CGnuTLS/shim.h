// GnuTLS: TLS for outbound https (webhooks, S3) and the SHA-256 / HMAC digests.
// libmicrohttpd already links it, so it costs the runtime image nothing extra.
#ifndef CGNUTLS_SHIM_H
#define CGNUTLS_SHIM_H

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#endif
