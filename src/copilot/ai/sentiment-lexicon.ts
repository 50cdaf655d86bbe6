/**
 * The offline sentiment lexicon: our own short list of words customers use in support chats, in English and
 * German, each with a valence from -3 (very negative) to +3 (very positive). It is deliberately small and
 * domain-flavoured (parcels, refunds, waiting) rather than a general-purpose lexicon; extend it here.
 *
 * Entries are `word valence` pairs separated by commas so the list stays reviewable. Inflected forms that the
 * lookup's suffix stripping does not reach (see offline-sentiment.ts) are listed explicitly.
 */
const englishWords = `
good 2, great 3, excellent 3, amazing 3, awesome 3, fantastic 3, wonderful 3, perfect 3, brilliant 3,
outstanding 3, superb 3, love 3, loved 3, lovely 2.5, like 1, liked 1, nice 2, fine 1, ok 0.5, okay 0.5,
happy 2, glad 2, pleased 2, satisfied 2, thanks 1.5, thank 1.5, thx 1.5, cheers 1, thankful 2, grateful 2,
appreciate 2, appreciated 2, helpful 2, useful 1.5, quick 1, quickly 1, fast 1, easy 1.5, friendly 2, kind 2,
polite 1.5, recommend 2, best 3, better 1.5, resolved 2, solved 2, fixed 1.5, sorted 1, delighted 3,
impressed 2, enjoy 2, enjoyed 2, cool 1.5, super 2, fair 1, reliable 2, smooth 1.5, convenient 1.5,
welcome 1, success 2, successful 2, correct 1, beautiful 2, pleasant 2, relieved 2, hope 1, wow 1.5, yay 2,
excited 2, exciting 2, fabulous 3, terrific 3, top 1.5, phew 1, calm 1, patient 1, patience 1, gladly 1.5,
bad -2, terrible -3, awful -3, horrible -3, worst -3, worse -2, poor -2, disappointed -2, disappointing -2,
disappointment -2, angry -3, annoyed -2, annoying -2, frustrated -2.5, frustrating -2.5, frustration -2.5,
upset -2, unhappy -2, sad -2, hate -3, hated -3, useless -2.5, broken -2, damaged -2, wrong -1.5,
problem -1.5, issue -1, error -1.5, fail -2, failed -2, failure -2, late -1.5, delayed -1.5, delay -1.5,
missing -1.5, lost -1.5, slow -1.5, rude -2.5, unacceptable -3, ridiculous -2.5, scam -3, fraud -3,
complaint -2, complain -2, waited -1, confused -1.5, confusing -1.5, difficult -1.5, expensive -1,
overcharged -2.5, ugh -2, sucks -2.5, crap -2.5, disaster -3, mess -2, nightmare -3, stupid -2.5,
incompetent -3, waste -2, worried -1.5, worry -1.5, afraid -1.5, unfortunately -1, sorry -0.5, furious -3,
outraged -3, nonsense -2, pathetic -3, stuck -1.5, impossible -2, unable -1, cheated -3, misleading -2,
defective -2, faulty -2, unreliable -2, hopeless -2.5, disgusting -3, shocked -2, shocking -2.5,
terribly -2, horribly -2.5, wtf -2.5, unhelpful -2.5, ignored -2, ignoring -2, unbelievable -1,
`;

const germanWords = `
gut 2, super 2, toll 2.5, prima 2, klasse 2, spitze 2.5, perfekt 3, ausgezeichnet 3, hervorragend 3,
wunderbar 3, großartig 3, grossartig 3, fantastisch 3, genial 3, schön 2, nett 2, freundlich 2, hilfreich 2,
danke 1.5, dankeschön 2, dankbar 2, zufrieden 2, glücklich 2, froh 2, freue 2, freut 2, lieb 1.5, mag 1,
gefällt 2, gefallen 1.5, empfehlen 2, empfehlenswert 2, schnell 1, bequem 1.5, zuverlässig 2, gelöst 2,
erledigt 1, beste 3, besten 3, besser 1.5, cool 1.5, juhu 2, erleichtert 2, angenehm 2, fair 1, korrekt 1,
begeistert 3, ordentlich 1, kompetent 2, geduldig 1, reibungslos 2, problemlos 2, unkompliziert 2,
einwandfrei 2.5, wow 1.5, hoffe 1, hoffentlich 0.5, dank 1.5, herzlichen 1, passt 1,
schlecht -2, schlimm -2.5, furchtbar -3, schrecklich -3, katastrophal -3, katastrophe -3, miserabel -3,
mies -2.5, grauenhaft -3, enttäuscht -2, enttäuschend -2, enttäuschung -2, ärgerlich -2, verärgert -2.5,
wütend -3, sauer -2, genervt -2, nervig -2, frustriert -2.5, frustrierend -2.5, unzufrieden -2,
unglücklich -2, traurig -2, kaputt -2, beschädigt -2, defekt -2, falsch -1.5, fehler -1.5, problem -1.5,
probleme -1.5, verspätet -1.5, verspätung -1.5, spät -1, langsam -1.5, fehlt -1.5, verloren -1.5,
unfreundlich -2.5, unverschämt -3, frechheit -3, inakzeptabel -3, lächerlich -2.5, betrug -3, abzocke -3,
beschwerde -2, beschweren -2, nutzlos -2.5, sinnlos -2, leider -1, teuer -1, schade -1.5, mist -2.5,
scheiße -3, scheisse -3, blöd -2, dumm -2, ärger -2, hasse -3, hass -3, unmöglich -2, gewartet -1,
umständlich -1.5, kompliziert -1.5, verwirrend -1.5, sorge -1.5, sorgen -1, angst -1.5, reklamation -1.5,
mangelhaft -2.5, unbrauchbar -2.5, ungenügend -2, peinlich -2, chaos -2.5, zumutung -3, schlampig -2.5,
inkompetent -3, unzuverlässig -2, ignoriert -2, verarscht -3, wahnsinn -1, entschuldigung -0.5,
`;

const emoticonList = `
:) 2, :-) 2, :] 2, =) 2, :D 2.5, :-D 2.5, xD 2, XD 2, ;) 1.5, ;-) 1.5, :P 1, :-P 1, <3 2.5, ^^ 1.5,
:( -2, :-( -2, :[ -2, =( -2, :'( -2.5, :/ -1, :-/ -1, :\\ -1, >:( -3, :@ -3, :| -0.5, </3 -2.5,
`;

const emojiList = `
😀 2, 😃 2, 😄 2, 😁 2, 😊 2, 🙂 1.5, 😍 3, 🥰 3, 😘 2, 😎 1.5, 🤩 3, 😂 1.5, 🤣 1.5, 😉 1.5, 👍 2, 👏 2,
🙏 1.5, ❤ 2.5, 💕 2.5, 💯 2, 🎉 2, ✅ 1, 🥳 2.5, 😌 1,
😞 -2, 😟 -2, 😠 -3, 😡 -3, 🤬 -3, 😢 -2.5, 😭 -2.5, 👎 -2, 💔 -2.5, 😤 -2.5, 😩 -2.5, 😫 -2.5, 🙁 -1.5,
☹ -2, 😒 -1.5, 😕 -1, 😖 -2, 😣 -2, 🤦 -2, 😑 -1, 🙄 -1.5, 😱 -2, 😰 -2,
`;

function parseList(list: string): ReadonlyMap<string, number> {
  const map = new Map<string, number>();
  for (const entry of list.split(",")) {
    const trimmed = entry.trim();
    if (trimmed === "") continue;
    const space = trimmed.lastIndexOf(" ");
    map.set(trimmed.slice(0, space), Number(trimmed.slice(space + 1)));
  }
  return map;
}

/** Lower-case words (English and German together: the few words both languages share agree in sign). */
export const wordValence: ReadonlyMap<string, number> = new Map([
  ...parseList(englishWords),
  ...parseList(germanWords),
]);

/** Emoticons are matched as written (`:D` and `:d` differ); emoji without their variation selector. */
export const symbolValence: ReadonlyMap<string, number> = new Map([
  ...parseList(emoticonList),
  ...parseList(emojiList),
]);

/**
 * Verbs that say whether something works. Alone they are mildly positive, negated they are a clear
 * complaint ("doesn't work", "funktioniert nicht", "geht nicht"), stronger than a negated adjective.
 */
export const functionVerbs: ReadonlyMap<string, { readonly plain: number; readonly negated: number }> =
  new Map(
    [
      ["work", 0, -2],
      ["works", 1, -2],
      ["working", 1, -2],
      ["worked", 1, -2],
      ["help", 0, -1.5],
      ["helps", 1.5, -2],
      ["helped", 1.5, -2],
      ["arrived", 0.5, -1.5],
      ["funktioniert", 1, -2],
      ["funktionieren", 0.5, -2],
      ["klappt", 1, -2],
      ["geklappt", 1, -2],
      ["geht", 0, -1.5],
      ["hilft", 1.5, -2],
      ["geholfen", 1.5, -2],
      ["angekommen", 0.5, -1.5],
    ].map(([word, plain, negated]) => [
      word as string,
      { plain: plain as number, negated: negated as number },
    ]),
  );

/**
 * Negators in front of a word flip it ("not good", "nicht gut", "kein Problem"). German also negates
 * after the verb ("das gefällt mir nicht"); offline-sentiment.ts handles that order.
 */
export const englishNegators: ReadonlySet<string> = new Set([
  "not",
  "no",
  "never",
  "none",
  "nobody",
  "nothing",
  "neither",
  "nor",
  "without",
  "hardly",
  "barely",
  "cannot",
  "cant",
  "dont",
  "doesnt",
  "didnt",
  "isnt",
  "wasnt",
  "arent",
  "werent",
  "wont",
  "wouldnt",
  "couldnt",
  "shouldnt",
  "havent",
  "hasnt",
  "hadnt",
  "aint",
]);

export const germanNegators: ReadonlySet<string> = new Set([
  "nicht",
  "kein",
  "keine",
  "keinen",
  "keinem",
  "keiner",
  "keines",
  "nie",
  "niemals",
  "nichts",
  "ohne",
  "weder",
  "kaum",
]);

/** Multipliers for the word that follows: above 1 intensifies, below 1 softens. */
export const intensifiers: ReadonlyMap<string, number> = new Map([
  ["very", 1.3],
  ["really", 1.3],
  ["so", 1.3],
  ["too", 1.2],
  ["extremely", 1.5],
  ["absolutely", 1.5],
  ["totally", 1.4],
  ["completely", 1.4],
  ["incredibly", 1.5],
  ["highly", 1.4],
  ["such", 1.2],
  ["quite", 1.1],
  ["utterly", 1.5],
  ["slightly", 0.6],
  ["somewhat", 0.7],
  ["bit", 0.7],
  ["little", 0.7],
  ["fairly", 0.8],
  ["rather", 0.8],
  ["sehr", 1.3],
  ["wirklich", 1.3],
  ["echt", 1.3],
  ["total", 1.4],
  ["völlig", 1.4],
  ["voellig", 1.4],
  ["absolut", 1.5],
  ["extrem", 1.5],
  ["äußerst", 1.5],
  ["unglaublich", 1.5],
  ["besonders", 1.3],
  ["ganz", 1.2],
  ["mega", 1.4],
  ["zu", 1.1],
  ["ziemlich", 1.1],
  ["etwas", 0.7],
  ["bisschen", 0.7],
  ["leicht", 0.7],
]);

/**
 * Words that carry no feeling after certain others: "I would like to …" asks, "it looks like …" reports.
 */
export const neutralAfter: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  [
    "like",
    new Set([
      "would",
      "id",
      "wed",
      "youd",
      "theyd",
      "look",
      "looks",
      "looked",
      "seems",
      "feel",
      "feels",
      "just",
    ]),
  ],
]);

/** Words that start a clause which outweighs the one before it ("good, but far too late"). */
export const contrastWords: ReadonlySet<string> = new Set(["but", "however", "aber", "jedoch", "allerdings"]);
