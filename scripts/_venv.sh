# Shared by scripts/test and scripts/demo: create .venv once and (re)install the package when
# pyproject.toml changes. Usage: source scripts/_venv.sh; ensure_venv [EXTRAS]
VENV="${SAT_ZEEP_VENV:-$PWD/.venv}"
ensure_venv() {
    local extras="${1:-}"
    local stamp="$VENV/.installed-${extras:-base}"
    local spec="."
    if [ -n "$extras" ]; then
        spec=".[$extras]"
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV"
    fi
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e "$spec"
        touch "$stamp"
    fi
}
