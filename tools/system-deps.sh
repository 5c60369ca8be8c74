#!/usr/bin/env bash
# Debian packages nianbao needs beyond Python itself. Installs what is missing when run as
# root (as on CI); otherwise prints the command to run.
set -euo pipefail

python=${PYTHON:-python3}

# One line per Debian package, with the reason it is needed.
packages=(
  chromium          # headless Chromium via Playwright (no download): the crawler renders
                    # script-built lists and challenges; tests drive nianbao serve
  fonts-wqy-zenhei  # a CJK font so nianbao plot draws Chinese labels (and LibreOffice makes CJK PDFs;
                    # tests/corpus/scan.py draws scanned pages with it)
  libreoffice-writer-nogui  # the parser converts .doc/.wps to DOCX; tests make PDF/.doc corpora
  postgresql        # tests run the derived views, query and read-only sql on a real PostgreSQL
  redis-server      # crawl --distributed shares its frontier through Redis; tests start one
)

missing=()

# Debian splits venv/ensurepip out of the interpreter package.
if ! "$python" -c "import ensurepip, venv" 2>/dev/null; then
  version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  missing+=("python${version}-venv")
fi

for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done

[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "nianbao needs these Debian packages: ${missing[*]}" >&2
  echo "run: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
