# Sourced by scripts/test: make sure a headless Chromium is there for the browser tests of
# `newscorpus view` (tests/test_view_browser.py), installed from the system packages, never
# downloaded by a driver. Tried once per venv: where it cannot be installed (not root, no
# apt-get, no network) the browser tests skip with a message and the HTML tests still run.
# NEWSCORPUS_CHROMIUM, when set, names the browser to use and skips all of this.
if [ -z "${NEWSCORPUS_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
    chromium_tried="$venv/.newscorpus-chromium-tried"
    if [ ! -f "$chromium_tried" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing chromium from the system packages for the browser tests (once)" >&2
        # Other apt users may hold the dpkg lock for a while: wait for it rather than fail.
        if ! { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
                --no-install-recommends chromium; } >"$venv/.newscorpus-chromium-install.log" 2>&1
        then
            echo "chromium could not be installed (see $venv/.newscorpus-chromium-install.log);" \
                "the browser tests will skip" >&2
        fi
        touch "$chromium_tried"
    fi
fi
