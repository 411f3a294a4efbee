#!/bin/bash
# update.sh: rebuilds src/po/wfmon.pot from the sources and merges it into
# every src/po/LANG.po (new messages come in untranslated, gone ones are
# dropped). Run it after changing a translatable string, then translate.
#
# The console marks its strings with _(), N_(), C_() (a context) and
# ngettext(); the protocol layer cannot (it has no gettext), so the labels of
# its tables (alert rule types, fields and channels, shown through _() by
# the console) are picked up as the string literals of alert_rule.c and
# alert_channel.c that the previous catalogue already held.
set -eu
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
xgettext --from-code=UTF-8 --language=C -k_ -kN_ -kC_:1c,2 -kngettext:1,2 --add-comments=TRANSLATORS \
	--package-name=wfmon --sort-by-file -o "$tmp/ui.pot" src/ui/*.c src/client/*.c
# Protocol labels: literal strings of the two tables that an older catalogue named.
python3 - "$tmp/labels.pot" src/po/wfmon.pot src/proto/alert_rule.c src/proto/alert_channel.c <<'PY'
import re, sys
out, old, *srcs = sys.argv[1:]
text = "".join(open(p, encoding="utf-8").read() for p in srcs)
literals = set(re.findall(r'"((?:[^"\\]|\\.)*)"', text))
# Entries without a context only: a context is the console's C_().
ids = re.findall(r'^msgid "(.*)"$', re.sub(r'^msgctxt .*\nmsgid .*$', '', open(old, encoding="utf-8").read(),
					   flags=re.M), re.M)
with open(out, "w", encoding="utf-8") as f:
    f.write('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n')
    for i in sorted(set(ids)):
        if i and i in literals:
            f.write('#: src/proto/alert_rule.c src/proto/alert_channel.c\nmsgid "%s"\nmsgstr ""\n\n' % i)
PY
msgcat --use-first -o "$tmp/all.pot" "$tmp/ui.pot" "$tmp/labels.pot"
cp "$tmp/all.pot" src/po/wfmon.pot
for po in src/po/*.po; do
	msgmerge --no-fuzzy-matching -q -o "$tmp/merged.po" "$po" src/po/wfmon.pot
	msgattrib --no-obsolete -o "$po" "$tmp/merged.po"
done
msgfmt --check --statistics -o /dev/null src/po/pl.po
