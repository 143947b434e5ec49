#!/usr/bin/env bash
# Installs the Debian packages the service and its tests need, when missing:
#   fonts-dejavu-core  the fonts of the printed invoices (PDF)            [always]
#   poppler-utils      pdftoppm/pdftotext, to look at the PDFs in tests   [--tests]
#   postgresql         the throwaway clusters of the test suite           [--tests]
#   chromium, chromium-l10n  the back office's browser tests (Playwright drives Debian's
#                      Chromium: it cannot download its own here); l10n and LANG=es_CO
#                      make date inputs show dd/mm/aaaa as a Colombian user sees them [--tests]
set -euo pipefail
missing=()
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if [ "${1:-}" = "--tests" ]; then
  command -v pdftoppm >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
    missing+=(postgresql)
  fi
  [ -x /usr/lib/chromium/chromium ] || missing+=(chromium chromium-l10n)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
