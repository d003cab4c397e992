#!/usr/bin/env bash
# Makes the fonts Missive embeds in share cards and leaflets, from Debian's fonts-noto-core
# (Noto Sans: Latin, Cyrillic) and fonts-noto-cjk (Noto Sans CJK KR: Hangul), both under the
# SIL Open Font License 1.1 (see OFL.txt). Run by hand when the character set changes; CI
# never runs it (it needs pip's fonttools and brotli):
#   apt-get install fonts-noto-core fonts-noto-cjk && pip install fonttools brotli
#   bash make-subset.sh
# Noto Sans keeps Latin (Basic, Latin-1, Extended-A), Cyrillic (Russian, Ukrainian,
# Belarusian and more), punctuation, currency and a few symbols. Noto Sans CJK KR keeps the
# Hangul compatibility jamo, all 11,172 precomposed syllables and CJK punctuation (it lacks Ukrainian
# letters, hence two families). Hinting is dropped. The results are stored brotli-compressed
# and decompressed once at run time; desubroutinized CFF is larger raw but compresses a
# fifth better.
set -euo pipefail
cd "$(dirname "$0")"
NOTO=${NOTO_DIR:-/usr/share/fonts/truetype/noto}
CJK=${NOTO_CJK_DIR:-/usr/share/fonts/opentype/noto}
LATIN_CYRILLIC="U+0020-007E,U+00A0-017F,U+0192,U+0218-021B,U+02BC,U+02C6-02DD,U+0300-0301,\
U+0400-052F,U+1E9E,U+2010-2027,U+2030-203A,U+2044,U+20A9,U+20AC,U+20B4,U+20BD,U+2116,\
U+2122,U+2190-2193,U+2212,U+25A1,U+25CF,U+2713"
HANGUL="U+0020,U+00A0,U+3000-3003,U+3008-3011,U+3131-318E,U+AC00-D7A3,U+FF01-FF5E"
compress() {
  python3 -c "import brotli,sys; d=open(sys.argv[1],'rb').read(); open(sys.argv[1]+'.br','wb').write(brotli.compress(d, quality=11))" "$1"
  rm "$1"
}
for weight in Regular Bold; do
  pyftsubset "$NOTO/NotoSans-$weight.ttf" --unicodes="$LATIN_CYRILLIC" \
    --layout-features='kern,liga,locl,ccmp,mark,mkmk' --no-hinting \
    --name-IDs='*' --name-languages='*' --output-file="NotoSans-$weight.subset.ttf"
  compress "NotoSans-$weight.subset.ttf"
  # Face 1 of the collection is the Korean one (Noto Sans CJK KR).
  pyftsubset "$CJK/NotoSansCJK-$weight.ttc" --font-number=1 --unicodes="$HANGUL" \
    --layout-features='kern,locl' --no-hinting --desubroutinize \
    --name-IDs='*' --name-languages='*' --output-file="NotoSansCJKkr-$weight.subset.otf"
  compress "NotoSansCJKkr-$weight.subset.otf"
done
ls -l ./*.br
