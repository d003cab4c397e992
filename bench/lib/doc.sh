# Shared by the bench scripts: filing a run's results into docs/BENCHMARKS.md.
# Source it; it defines functions only.

# add_to_section DOC SECTION INTRO BLOCK_FILE
# Puts the contents of BLOCK_FILE at the end of SECTION (a "## " heading line) of DOC, before
# the next "## " heading, so each section lists its runs oldest first. A missing DOC is started
# with "# Benchmarks"; a missing SECTION is appended with INTRO as its first paragraph.
add_to_section() {
    local doc=$1 section=$2 intro=$3 block=$4
    [ -f "$doc" ] || printf '# Benchmarks\n\n' >"$doc"
    if ! grep -qxF "$section" "$doc"; then
        printf '\n%s\n\n%s\n\n' "$section" "$intro" >>"$doc"
    fi
    awk -v section="$section" -v block="$block" '
        function emit() { while ((getline line < block) > 0) print line; close(block); done = 1 }
        $0 == section { inside = 1; print; next }
        inside && /^## / && !done { emit(); inside = 0 }
        { print }
        END { if (!done) emit() }
    ' "$doc" >"$doc.tmp"
    mv "$doc.tmp" "$doc"
}
