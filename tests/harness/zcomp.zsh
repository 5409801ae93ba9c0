# tests/harness/zcomp.zsh FPATHDIR LINE: press TAB at the end of LINE in a real interactive zsh (zsh -f -i in a
# pseudo-terminal, zsh/zpty) with compinit and FPATHDIR first in $fpath; print the matches the completion
# system offered, sorted, on one line. Nothing is stubbed: compadd is wrapped only to report what zsh's own
# matching against the typed prefix accepted. Run as: zsh -f zcomp.zsh DIR 'redis-archiver ba'
zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z "PS1='' PS2=''; fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z 'zstyle ":completion:*" list-grouped false; zstyle ":completion:*" insert-tab false; bindkey "^I" complete-word'
zpty -w z 'compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
    local -a h; local x; builtin compadd -A h "$@"; for x in $h; do print -n -- "\nHIT:$x\n"; done; builtin compadd "$@"; }'
zpty -w z 'print -n "\nREADY\n"'
zpty -r z out '*READY*' || exit 4
zpty -n -w z "$2"$'\t'
# wait for the first match (up to 20 s: a loaded machine), then a little for the rest of that list
acc=''
for i in {1..200}; do
    if zpty -r -t z chunk; then acc+=$chunk; [[ $acc == *HIT:* ]] && break; else sleep 0.1; fi
done
sleep 0.3
zpty -w z $'\C-u'
zpty -w z 'print -n "\nDONE\n"'
zpty -r z out '*DONE*' || exit 5
out=$acc$out
print -r -- "$out" | tr -d '\r' | sed -n 's/^HIT://p' | sort -u | tr '\n' ' ' | sed 's/ $//'
zpty -d z
