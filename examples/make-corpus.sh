#!/usr/bin/env bash
# make-corpus.sh: rebuild examples/corpus.jsonl, synth's small real seed corpus.
#
# The corpus is human-written prose from two Debian documentation packages of
# Debian 12 "bookworm" (both built from source packages of the same name):
#
#   debian-faq 11.1      "The Debian GNU/Linux FAQ"; binary packages
#                        debian-faq (English), debian-faq-de, debian-faq-fr,
#                        debian-faq-ru, debian-faq-ja, debian-faq-zh-cn
#   debian-history 2.28  "A Brief History of Debian" in several languages
#
# What goes in (see examples/README.md for the counts):
#   en           the whole FAQ and chapters 1-4 of the History
#   de fr ru ja  chapter 1 of the FAQ and chapters 1-3 of the History
#   zh           chapters 1-2 of the FAQ (the History has no Chinese version)
# The appendix of the History (Ian Murdock's Debian Manifesto) is left out.
#
# How: the packages are fetched with `apt-get download` (nothing is
# installed; as root, `apt-get update` is run once if the download fails)
# into a temporary folder and unpacked with `dpkg-deb -x`. The DocBook HTML
# of each document is read chapter by chapter in reading order (following
# the rel="next" links from index.LL.html) by the python3 program below. It
# keeps paragraphs, section titles, lists and command examples (<pre>
# screens) and drops the rest: navigation, tables of contents, title pages
# and legal notices (see CORPUS-LICENSE), tables, footnote marks, chapter
# titles. Markup is removed; whitespace is collapsed to one space (a line
# break between two CJK characters is removed instead); text is Unicode NFC;
# section numbers ("1.2. ") are removed from titles.
#
# Records: a title, a paragraph, or a list. A list is one record, an entry a
# "- " line (a nested one indented by two spaces, a second paragraph of an
# entry on its own line indented to match), with the paragraph that leads
# into it (one ending with a colon or not ending a sentence) and, where the
# sentence goes on after the list, the paragraph that ends it. A command
# example stays with the paragraph that introduces it, indented by four
# spaces as in Markdown, with the paragraph after it when that goes on with
# the same sentence ("Then run" EXAMPLE "followed by" EXAMPLE); one with no
# paragraph before it is dropped. In translations, paragraphs left
# untranslated (identical to the English original, without the expected
# script, or with more English function words than native ones) are dropped
# (the count is printed; CORPUS_VERBOSE=1 prints them too). A text already
# in the corpus is not repeated.
#
# Output: one JSON object a line, members in the order id, text, lang,
# source; ids are LANG-NNNNNN, numbered per language in reading order; source
# is "PACKAGE VERSION /path/of/the/file/in/the/package". The output depends
# only on the package contents: no timestamps, no locale, no hash order, so
# two runs give byte-identical files.
#
# Usage: examples/make-corpus.sh [OUTPUT]   (default: examples/corpus.jsonl)
# Needs: bash, apt-get (a Debian system with bookworm's main in its sources;
# run `apt-get update` first on a fresh system), dpkg-deb, python3.
# Environment:
#   CORPUS_DEBS=DIR       take the .deb files from DIR instead of downloading
#   CORPUS_ANY_VERSION=1  accept whatever version apt offers (the output may
#                         then differ from the committed corpus.jsonl)
#   CORPUS_VERBOSE=1      list the untranslated paragraphs that were dropped
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/corpus.jsonl}

packages=(
  debian-faq=11.1 debian-faq-de=11.1 debian-faq-fr=11.1
  debian-faq-ru=11.1 debian-faq-ja=11.1 debian-faq-zh-cn=11.1
  debian-history=2.28
)

die() { printf 'make-corpus.sh: %s\n' "$*" >&2; exit 1; }
for tool in dpkg-deb python3; do
  command -v "$tool" >/dev/null || die "$tool is required"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/debs" "$work/root"

if [[ -n ${CORPUS_DEBS:-} ]]; then
  for spec in "${packages[@]}"; do
    name=${spec%%=*} version=${spec#*=}
    deb="$CORPUS_DEBS/${name}_${version}_all.deb"
    if [[ -n ${CORPUS_ANY_VERSION:-} ]]; then
      deb=$(printf '%s\n' "$CORPUS_DEBS/${name}"_*.deb | sort -V | tail -n 1)
    fi
    [[ -f $deb ]] || die "no ${deb##*/} in $CORPUS_DEBS"
    cp "$deb" "$work/debs/"
  done
else
  command -v apt-get >/dev/null || die "apt-get is required (or set CORPUS_DEBS)"
  specs=("${packages[@]}")
  if [[ -n ${CORPUS_ANY_VERSION:-} ]]; then
    specs=("${packages[@]%%=*}")
  fi
  # apt drops root privileges to the _apt user for downloads when that user
  # can write to the folder; let it, to avoid apt's "unsandboxed" warning.
  chmod 755 "$work"
  if [[ $EUID -eq 0 ]] && id _apt >/dev/null 2>&1; then
    chown _apt "$work/debs"
  fi
  download() { (cd "$work/debs" && apt-get download -q "${specs[@]}") >&2; }
  if ! download; then
    # A fresh system has no package lists yet: fetch them once and retry.
    if [[ $EUID -ne 0 ]] || ! apt-get update -q >&2 || ! download; then
      die "apt-get download failed: run 'apt-get update' first; if a" \
          "pinned version is no longer in the archive, set CORPUS_ANY_VERSION=1"
    fi
  fi
fi

# Unpack each package under root/NAME and note its version.
: >"$work/versions"
for deb in "$work"/debs/*.deb; do
  name=$(dpkg-deb -f "$deb" Package)
  version=$(dpkg-deb -f "$deb" Version)
  mkdir -p "$work/root/$name"
  dpkg-deb -x "$deb" "$work/root/$name"
  printf '%s %s\n' "$name" "$version" >>"$work/versions"
done

cat >"$work/extract.py" <<'PYTHON'
"""Turn the DocBook HTML of the Debian FAQ and History into JSON Lines."""
import html.parser
import json
import os
import re
import sys
import textwrap
import unicodedata

ROOT, VERSIONS, OUT = sys.argv[1], sys.argv[2], sys.argv[3]

with open(VERSIONS, encoding='utf-8') as f:
    VERSION = dict(line.split() for line in f if line.strip())

FAQ_DIR = 'usr/share/doc/debian/FAQ'
HISTORY_DIR = 'usr/share/doc/debian-history/docs'

def faq(lang):
    """(package, folder, language tag in file names) of the FAQ in lang."""
    if lang == 'en':
        return ('debian-faq', FAQ_DIR, 'en')
    tag = 'zh-cn' if lang == 'zh' else lang
    return ('debian-faq-' + tag, FAQ_DIR + '/' + tag, tag)

def history(lang):
    return ('debian-history', HISTORY_DIR, lang)

# Per language: the documents and the chapters (file stems) taken, in order;
# None takes every chapter. The History's appendix (manifesto) never goes in.
FAQ_CH1 = ['index', 'basic-defs']
HISTORY_CH13 = ['index', 'intro', 'leaders', 'releases']
PLAN = [
    ('en', [(faq('en'), None),
            (history('en'), HISTORY_CH13 + ['detailed'])]),
    ('de', [(faq('de'), FAQ_CH1), (history('de'), HISTORY_CH13)]),
    ('fr', [(faq('fr'), FAQ_CH1), (history('fr'), HISTORY_CH13)]),
    ('ru', [(faq('ru'), FAQ_CH1), (history('ru'), HISTORY_CH13)]),
    ('ja', [(faq('ja'), FAQ_CH1), (history('ja'), HISTORY_CH13)]),
    ('zh', [(faq('zh'), FAQ_CH1 + ['getting-debian'])]),
]
MAX_LIST_CHARS = 3000   # a longer list is split between entries

# Text clean-up ----------------------------------------------------------

CJK = ('\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff'
       '\uf900-\ufaff\uff00-\uffef')
RE_CJK_BREAK = re.compile(r'(?<=[%s])[ \t\r]*\n\s*(?=[%s])' % (CJK, CJK))
RE_SPACE = re.compile(r'\s+')
RE_SECTION_NUMBER = re.compile(r'^(?:[0-9]+|[A-Z])(?:\.[0-9]+)*\.\s+')

def clean(text):
    """Flowing text: NFC, whitespace runs to one space (none at a line
    break between two CJK characters)."""
    text = unicodedata.normalize('NFC', text)
    text = RE_CJK_BREAK.sub('', text)
    return RE_SPACE.sub(' ', text).strip()

def clean_code(text):
    """A <pre> screen: its lines as they are, indented by four spaces."""
    text = unicodedata.normalize('NFC', text).replace('\t', '    ')
    lines = [line.rstrip() for line in text.split('\n')]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    code = textwrap.dedent('\n'.join(lines))
    return '\n'.join('    ' + line if line else '' for line in code.split('\n'))

# HTML to blocks ---------------------------------------------------------

SKIP_DIV = {'navheader', 'navfooter', 'toc', 'legalnotice', 'authorgroup',
            'author', 'footnotes', 'mediaobject', 'figure'}
SKIP_TAG = {'head', 'style', 'script', 'table', 'sup', 'img', 'object'}
SKIP_P = {'copyright', 'releaseinfo', 'pubdate', 'title'}
ADMONITION = {'note', 'warning', 'caution', 'important', 'tip'}
HEADINGS = {'h1', 'h2', 'h3', 'h4', 'h5', 'h6'}
LISTS = {'ul', 'ol', 'dl'}
BLOCK = HEADINGS | LISTS | {'p', 'li', 'dt', 'dd', 'div', 'blockquote',
                            'pre', 'table'}
VOID = {'br', 'img', 'meta', 'link', 'hr', 'input', 'col', 'area', 'base'}

class Blocks(html.parser.HTMLParser):
    """Reads one page into a list of units:
      ('head', level, text)         a title, level 'h1'...'h6'
      ('para', text)                a paragraph outside lists
      ('code', text)                a <pre> screen outside lists
      ('item', kind, text, outer, key, depth)
                                    a paragraph (kind 'li', 'dt', 'dd') or
                                    screen ('code') in a list; outer numbers the
                                    outermost list, key the entry, depth
                                    the nesting."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []        # open elements: [tag, skipped, admonition]
        self.skip = 0          # inside how many skipped elements
        self.buf = []
        self.units = []
        self.lists = []        # open lists: [list number, entries so far]
        self.nlists = 0

    def inside(self, tags):
        for tag, _, _ in reversed(self.stack):
            if tag in tags:
                return tag
        return None

    def flush(self):
        raw = ''.join(self.buf)
        self.buf = []
        code = self.inside({'pre'}) is not None
        text = clean_code(raw) if code else clean(raw)
        if not text.strip():
            return
        heading = self.inside(HEADINGS)
        if heading:
            self.units.append(('head', heading, text))
        elif self.lists:
            key = tuple(n for _, n in self.lists)
            what = 'code' if code else self.inside({'li', 'dt', 'dd'})
            self.units.append(('item', what or 'li', text,
                               self.lists[0][0], key, len(self.lists)))
        else:
            self.units.append(('code' if code else 'para', text))

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            if tag == 'br' and not self.skip:
                self.buf.append('\n' if self.inside({'pre'}) else ' ')
            return
        cls = set((dict(attrs).get('class') or '').split())
        if tag in BLOCK and not self.skip:
            self.flush()
        in_admonition = any(adm for _, _, adm in self.stack)
        skipped = (tag in SKIP_TAG
                   or (tag == 'div' and bool(cls & SKIP_DIV))
                   or (tag == 'p' and bool(cls & SKIP_P))
                   or (tag == 'h3' and 'author' in cls)
                   or (tag in HEADINGS and in_admonition))
        admonition = tag == 'div' and bool(cls & ADMONITION)
        self.stack.append([tag, skipped, admonition])
        if skipped:
            self.skip += 1
        elif not self.skip:
            if tag in LISTS:
                self.nlists += 1
                self.lists.append([self.nlists, 0])
            elif tag in ('li', 'dt') and self.lists:
                self.lists[-1][1] += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        tags = [t for t, _, _ in self.stack]
        if tag not in tags:
            return
        depth = len(tags) - 1 - tags[::-1].index(tag)
        while len(self.stack) > depth:
            name, skipped, _ = self.stack[-1]
            if not self.skip and name in BLOCK:
                self.flush()
            self.stack.pop()
            if skipped:
                self.skip -= 1
            elif not self.skip and name in LISTS and self.lists:
                self.lists.pop()

    def handle_data(self, data):
        if not self.skip:
            self.buf.append(data)

def units_of(path):
    parser = Blocks()
    with open(path, encoding='utf-8') as f:
        parser.feed(f.read())
    parser.close()
    parser.flush()
    return parser.units

def chapters(folder, tag):
    """The pages of a DocBook HTML book in reading order."""
    pages, page = [], 'index.%s.html' % tag
    while page and page not in pages:
        pages.append(page)
        with open(os.path.join(folder, page), encoding='utf-8') as f:
            m = re.search(r'<link rel="next" href="([^"#]+)"', f.read())
        page = m.group(1) if m else None
    return pages

# Language checks for translations --------------------------------------

WORDS = {
    'en': 'the and of to is that for with are this be it on as by you can '
          'which from or not an have will was were has',
    'de': 'der die das und ist nicht ein eine zu den von mit sich des auf '
          'für im dem werden wird es sie auch als bei oder wurde sind',
    'fr': 'le la les des et est un une du en que qui pour dans pas sur au '
          'ne se par plus sont été ou avec ce cette aux',
}
WORDS = {k: set(v.split()) for k, v in WORDS.items()}
RE_WORD = re.compile(r"[^\W\d_]+")
KANA = [('\u3040', '\u30ff'), ('\uff66', '\uff9f')]
HAN = [('\u3400', '\u4dbf'), ('\u4e00', '\u9fff'), ('\uf900', '\ufaff')]
SCRIPT = {'ru': [('\u0400', '\u04ff')], 'ja': KANA + HAN, 'zh': HAN}

def count(text, ranges):
    return sum(1 for c in text if any(lo <= c <= hi for lo, hi in ranges))

def in_language(text, lang):
    """False for a paragraph of a translation that is plainly not in lang:
    no letter of its script, or few (under 15%, and English function words
    among the rest; any kana will do for Japanese), or more English function
    words than its own."""
    words = [w.lower() for w in RE_WORD.findall(text)]
    english = sum(w in WORDS['en'] for w in words)
    if lang in SCRIPT:
        letters = sum(1 for c in text if c.isalpha())
        hits = count(text, SCRIPT[lang])
        if lang == 'ja' and count(text, KANA):
            return True
        return hits >= 1 and (hits >= 0.15 * letters or english == 0)
    native = sum(w in WORDS[lang] for w in words)
    return not (english >= 2 and english > native)

# Blocks to records ------------------------------------------------------

SENTENCE_END = tuple('.!?:;。！？：；)"”»」')
FINAL = tuple('.!?;。！？；)"”»」')     # SENTENCE_END but the colons

def continues(before, after):
    """Whether the paragraph after a screen goes on with the sentence that
    the paragraph before it began ("Then run" SCREEN "followed by")."""
    return (after[:1].islower() or after[:1] in tuple(')]},.;:')
            or not before.endswith(SENTENCE_END))

def continues_list(lead, after):
    """Whether the paragraph after a list ends the sentence that the list's
    lead began (Japanese: "..., a system has" LIST "has these")."""
    return (after[:1].islower() or after[:1] in tuple(')]},.;:')
            or (lead or '').endswith(('、', '，', ',')))

def blocks(units, keep):
    """Join the units of a page into record texts. keep(text) says whether
    a paragraph, title or list entry is kept (translations drop untranslated
    ones). A screen joins the paragraph before it, and the paragraph after
    it joins too when it continues the sentence; a screen with no paragraph
    before it is dropped. A list takes the paragraph that leads into it
    (one not ending a sentence, or ending with a colon) and the one after
    it when that finishes the lead's sentence."""
    out = []          # [kind, text] with kind 'head' or 'para', or
                      # ['list', lead, entries, tail paragraphs]
    last_list = None  # index in out of a list a paragraph may finish
    open_para = None  # index in out of a paragraph a screen may join
    after_code = False
    last_prose = ''   # the paragraph text a screen followed
    lst = None        # the open list: outer, lead, entries

    def close_list():
        nonlocal lst, last_list
        if lst is None:
            return
        if lst['entries']:
            out.append(['list', lst['lead'], list(lst['entries'].values()),
                        []])
            last_list = len(out) - 1
        elif lst['lead']:
            out.append(['para', lst['lead']])
        lst = None

    for unit in units:
        kind = unit[0]
        if kind == 'item':
            _, what, text, outer, key, depth = unit
            if lst is None or lst['outer'] != outer:
                close_list()
                lead = None
                if (open_para is not None and open_para == len(out) - 1
                        and not after_code
                        and not out[-1][1].endswith(FINAL)):
                    lead = out.pop()[1]
                lst = {'outer': outer, 'lead': lead, 'entries': {}}
            open_para, after_code = None, False
            entry = lst['entries'].get(key)
            if what == 'code':
                if entry is not None:
                    entry[2] += '\n' + text
                    entry[3] = True
                continue
            if not keep(text):
                continue
            if entry is None:
                lst['entries'][key] = [depth, what, text, False]
            else:
                sep = '\n'   # another paragraph of the entry
                if entry[1] == 'dt' and what == 'dd' and not entry[3]:
                    sep = ' ' if entry[2].endswith(SENTENCE_END) else ': '
                entry[1], entry[2], entry[3] = what, entry[2] + sep + text, False
            continue
        close_list()
        if kind == 'head':
            _, level, text = unit
            open_para, after_code = None, False
            text = RE_SECTION_NUMBER.sub('', text)
            if level != 'h1' and keep(text):
                out.append(['head', text])
        elif kind == 'code':
            if open_para is not None:
                out[open_para][1] += '\n' + unit[1]
                after_code = True
        else:
            text = unit[1]
            if not keep(text):
                open_para, after_code = None, False
            elif (last_list is not None and len(out) - 1 == last_list
                  and not out[last_list][3]
                  and continues_list(out[last_list][1], text)):
                out[last_list][3].append(text)
            elif (open_para is not None and after_code
                  and continues(last_prose, text)):
                out[open_para][1] += '\n' + text
                last_prose, after_code = text, False
            else:
                out.append(['para', text])
                open_para, after_code = len(out) - 1, False
                last_prose = text
    close_list()

    texts = []
    for item in out:
        if item[0] != 'list':
            texts.append(item[1])
            continue
        _, lead, entries, tail = item
        chunk = [lead] if lead else []
        for depth, _, text, _ in entries:
            pad = '  ' * (depth - 1)
            lines = text.split('\n')
            line = '\n'.join([pad + '- ' + lines[0]]
                             + [pad + '  ' + l if l else '' for l in lines[1:]])
            if chunk and len('\n'.join(chunk + [line])) > MAX_LIST_CHARS:
                texts.append('\n'.join(chunk))
                chunk = []
            chunk.append(line)
        if chunk or tail:
            texts.append('\n'.join(chunk + tail))
    return [t for t in texts if any(c.isalpha() for c in t)]

def main():
    english = set()    # every unit text of the English originals
    for (pkg, folder, tag), _ in PLAN[0][1]:
        d = os.path.join(ROOT, pkg, folder)
        for page in chapters(d, tag):
            for unit in units_of(os.path.join(d, page)):
                text = unit[2] if unit[0] in ('head', 'item') else unit[1]
                english.add(text)
                english.add(RE_SECTION_NUMBER.sub('', text))

    seen = set()
    with open(OUT, 'w', encoding='utf-8', newline='\n') as out:
        for lang, docs in PLAN:
            dropped = []

            def keep(text, lang=lang):
                if lang == 'en' or (text not in english
                                    and in_language(text, lang)):
                    return True
                dropped.append(text)
                return False
            n = 0
            for (pkg, folder, tag), wanted in docs:
                d = os.path.join(ROOT, pkg, folder)
                pages = chapters(d, tag)
                stems = [page.split('.')[0] for page in pages]
                missing = set(wanted or []) - set(stems)
                if missing:
                    sys.exit('make-corpus.sh: %s: no chapter %s'
                             % (pkg, ', '.join(sorted(missing))))
                for page, stem in zip(pages, stems):
                    if wanted is not None and stem not in wanted:
                        continue
                    source = '%s %s /%s/%s' % (pkg, VERSION[pkg], folder, page)
                    for text in blocks(units_of(os.path.join(d, page)), keep):
                        if text in seen:
                            continue
                        seen.add(text)
                        n += 1
                        record = {'id': '%s-%06d' % (lang, n), 'text': text,
                                  'lang': lang, 'source': source}
                        out.write(json.dumps(record, ensure_ascii=False))
                        out.write('\n')
            if dropped:
                print('make-corpus.sh: %s: %d untranslated paragraphs dropped'
                      % (lang, len(dropped)), file=sys.stderr)
                if os.environ.get('CORPUS_VERBOSE'):
                    for text in dropped:
                        print('  ' + text[:160], file=sys.stderr)

main()
PYTHON

tmp="$out.tmp.$$"
trap 'rm -rf "$work" "$tmp"' EXIT
LC_ALL=C.UTF-8 PYTHONHASHSEED=0 python3 "$work/extract.py" \
  "$work/root" "$work/versions" "$tmp"
mv "$tmp" "$out"
printf 'make-corpus.sh: wrote %s: %s records, %s bytes\n' \
  "$out" "$(wc -l <"$out")" "$(wc -c <"$out")" >&2
