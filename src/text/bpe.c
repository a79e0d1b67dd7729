/* bpe: vocabulary hash, merge table and the merge loop of byte-level BPE, with the exact
 * tie-breaking of Hugging Face tokenizers (lowest rank first, then leftmost). No text handling
 * beyond bytes: splitting, normalisation and added tokens live in the callers. */
#include "text/bpe.h"

#include <string.h>

#include "base/alloc.h"
#include "text/utf8.h"

/* A symbol of the word being merged: a token id in a doubly linked list over positions. */
struct bpe_sym {
    int32_t id;
    int32_t prev, next; /* positions, -1 at the ends */
    int32_t alive;      /* 0 once merged into its left neighbour */
};

/* A candidate merge of the symbol at pos with its right neighbour. */
struct bpe_item {
    uint32_t rank;
    uint32_t pos;
    int32_t id; /* what the pair merged into when queued; stale entries are skipped */
};

/* A cached word: its bytes in cache.keys, its ids in cache.ids. */
struct bpe_cache_slot {
    uint64_t hash;
    uint32_t key_off, key_len;
    uint32_t ids_off, ids_len;
    int used;
};

/* 64 Ki slots (2 MiB), at most half used so probes stay short; 8 MiB each of words and ids.
 * Enough for the distinct words of a few MB of text; beyond that the cache starts over. */
#define CACHE_MAX_SLOTS (1u << 16)
#define CACHE_MAX_BYTES ((size_t)8 << 20)

/* Word hash for the vocabulary and the cache: 8 bytes per step, then a full avalanche so the
 * low bits (the slot index) depend on every byte. */
uint64_t bpe_hash(const void *p, size_t n)
{
    const uint8_t *s = p;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xC2B2AE3D27D4EB4Full);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, s, 8);
        h = (h ^ v) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
        s += 8;
        n -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, s, n);
    h = (h ^ v) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 29;
    h *= 0x94D049BB133111EBull;
    return h ^ (h >> 31);
}

/* Merge-table hash of (left << 32 | right): splitmix64's finaliser, so both ids reach the low bits. */
static uint64_t hash_pair(uint64_t key)
{
    key ^= key >> 33;
    key *= 0xFF51AFD7ED558CCDull;
    key ^= key >> 33;
    key *= 0xC4CEB9FE1A85EC53ull;
    return key ^ (key >> 33);
}

/* GPT-2's printable stand-ins for bytes: printable Latin-1 bytes stand for themselves; the other
 * 68 (00..20, 7F..A0, AD: controls, space, DEL, NBSP, soft hyphen) take U+0100..U+0143 in order. */
uint32_t bpe_byte_to_cp(uint8_t b)
{
    if (b <= 0x20)
        return 0x100u + b;
    if (b >= 0x7F && b <= 0xA0)
        return 0x100u + 33 + (b - 0x7Fu);
    if (b == 0xAD)
        return 0x100u + 67;
    return b;
}

int bpe_cp_to_byte(uint32_t cp)
{
    if (cp < 0x100)
        return bpe_byte_to_cp((uint8_t)cp) == cp ? (int)cp : -1;
    uint32_t k = cp - 0x100;
    if (k < 33)
        return (int)k;
    if (k < 67)
        return (int)(0x7F + (k - 33));
    return k == 67 ? 0xAD : -1;
}

axvk_status bpe_init(struct bpe *b, uint32_t n_vocab, struct err *err)
{
    /* The text map is sized once for every id at <= 1/2 load, so inserts never rehash. */
    memset(b, 0, sizeof *b);
    b->unk_id = -1;
    uint32_t slots = 16;
    while (slots < 2u * n_vocab)
        slots *= 2;
    b->n_vocab = n_vocab;
    b->tok = mem_calloc(n_vocab ? n_vocab : 1, sizeof *b->tok);
    b->map = mem_alloc((size_t)slots * sizeof *b->map);
    if (!b->tok || !b->map)
        goto fail;
    for (uint32_t i = 0; i < n_vocab; i++)
        b->tok[i].off = BPE_NO_TOKEN;
    memset(b->map, 0xFF, (size_t)slots * sizeof *b->map);
    b->map_mask = slots - 1;
    for (int i = 0; i < 256; i++)
        b->byte_id[i] = -1;
    return AXVK_OK;
fail:
    bpe_free(b);
    return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "vocabulary of %u tokens: out of memory",
                   n_vocab);
}

void bpe_free(struct bpe *b)
{
    mem_free(b->tok);
    mem_free(b->text);
    mem_free(b->map);
    mem_free(b->mslot);
    mem_free(b->merges);
    memset(b, 0, sizeof *b);
}

axvk_status bpe_set_text(struct bpe *b, int32_t id, const char *s, size_t len, struct err *err)
{
    if (id < 0 || (uint32_t)id >= b->n_vocab)
        return err_set(err, AXVK_ERR_TOKENIZER, "token id %d out of range (vocabulary of %u)", id,
                       b->n_vocab);
    if (b->tok[id].off != BPE_NO_TOKEN)
        return err_set(err, AXVK_ERR_TOKENIZER, "token id %d given twice", id);
    if (len > UINT32_MAX / 2 || b->text_len + len >= UINT32_MAX)
        return err_set(err, AXVK_ERR_TOKENIZER, "token id %d: text too long", id);
    void *p = b->text;
    if (mem_grow(&p, &b->text_cap, b->text_len + len + 1, 1))
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "token text: out of memory");
    b->text = p;
    memcpy(b->text + b->text_len, s, len);
    b->tok[id].off = (uint32_t)b->text_len;
    b->tok[id].len = (uint32_t)len;
    b->text_len += len;
    b->text[b->text_len] = '\0';
    return AXVK_OK;
}

/* Slots hold ids only; the key is the id's text, compared in place (no second copy). */
static int text_equals(const struct bpe *b, int32_t id, const char *s, size_t len)
{
    const struct bpe_span *t = &b->tok[id];
    return t->len == len && memcmp(b->text + t->off, s, len) == 0;
}

int32_t bpe_find(const struct bpe *b, const char *s, size_t len)
{
    uint32_t i = (uint32_t)bpe_hash(s, len) & b->map_mask;
    for (;; i = (i + 1) & b->map_mask) {
        int32_t id = b->map[i];
        if (id < 0)
            return -1;
        if (text_equals(b, id, s, len))
            return id;
    }
}

int32_t bpe_map_insert(struct bpe *b, int32_t id)
{
    const char *s = b->text + b->tok[id].off;
    size_t len = b->tok[id].len;
    /* bpe_init sized the table for every id at load <= 1/2 */
    uint32_t i = (uint32_t)bpe_hash(s, len) & b->map_mask;
    for (;; i = (i + 1) & b->map_mask) {
        int32_t other = b->map[i];
        if (other < 0)
            break;
        if (text_equals(b, other, s, len))
            return other;
    }
    b->map[i] = id;
    b->map_used++;
    return -1;
}

static struct bpe_merge_slot *merge_lookup(const struct bpe *b, int32_t left, int32_t right)
{
    uint64_t key = (uint64_t)(uint32_t)left << 32 | (uint32_t)right;
    uint32_t i = (uint32_t)hash_pair(key) & b->mslot_mask;
    for (;; i = (i + 1) & b->mslot_mask) {
        struct bpe_merge_slot *m = &b->mslot[i];
        if (m->key == key)
            return m;
        if (m->key == UINT64_MAX)
            return NULL;
    }
}

/* Doubles the merge table (first size 1024) and reinserts; the table stays <= 1/2 full. */
static int merge_table_grow(struct bpe *b)
{
    uint32_t slots = b->mslot ? (b->mslot_mask + 1) * 2 : 1024;
    struct bpe_merge_slot *ns = mem_calloc(slots, sizeof *ns);
    if (!ns)
        return -1;
    for (uint32_t i = 0; i < slots; i++)
        ns[i].key = UINT64_MAX;
    for (uint32_t i = 0; b->mslot && i <= b->mslot_mask; i++) {
        struct bpe_merge_slot *m = &b->mslot[i];
        if (m->key == UINT64_MAX)
            continue;
        uint32_t j = (uint32_t)hash_pair(m->key) & (slots - 1);
        while (ns[j].key != UINT64_MAX)
            j = (j + 1) & (slots - 1);
        ns[j] = *m;
    }
    mem_free(b->mslot);
    b->mslot = ns;
    b->mslot_mask = slots - 1;
    return 0;
}

axvk_status bpe_add_merge(struct bpe *b, const char *left, size_t llen, const char *right, size_t rlen,
                          struct err *err)
{
    int32_t l = bpe_find(b, left, llen);
    int32_t r = bpe_find(b, right, rlen);
    if (l < 0 || r < 0)
        return err_set(err, AXVK_ERR_TOKENIZER, "merge %u: '%.*s' is not in the vocabulary",
                       b->n_merges + 1, l < 0 ? (int)(llen > 64 ? 64 : llen) : (int)(rlen > 64 ? 64 : rlen),
                       l < 0 ? left : right);
    /* both sides are tokens, so the product is no longer than two tokens: cheap to build */
    char small[256];
    char *buf = llen + rlen <= sizeof small ? small : mem_alloc(llen + rlen);
    if (!buf)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "merges: out of memory");
    memcpy(buf, left, llen);
    memcpy(buf + llen, right, rlen);
    int32_t id = bpe_find(b, buf, llen + rlen);
    axvk_status st = AXVK_OK;
    if (id < 0)
        st = err_set(err, AXVK_ERR_TOKENIZER, "merge %u: result '%.*s' is not in the vocabulary",
                     b->n_merges + 1, (int)(llen + rlen > 64 ? 64 : llen + rlen), buf);
    if (buf != small)
        mem_free(buf);
    if (st != AXVK_OK)
        return st;
    if (b->n_merges == INT32_MAX)
        return err_set(err, AXVK_ERR_TOKENIZER, "too many merges");
    void *p = b->merges;
    if (mem_grow(&p, &b->merges_cap, (size_t)b->n_merges + 1, sizeof *b->merges))
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "merges: out of memory");
    b->merges = p;
    if ((b->mslot_used + 1) * 2 > (b->mslot ? b->mslot_mask + 1 : 0) && merge_table_grow(b))
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "merges: out of memory");
    uint32_t rank = b->n_merges;
    b->merges[b->n_merges++] = (struct bpe_pair){l, r};
    /* A pair listed twice keeps its last rank: HF collects merges into a map in file order. */
    struct bpe_merge_slot *m = merge_lookup(b, l, r);
    if (!m) {
        uint64_t key = (uint64_t)(uint32_t)l << 32 | (uint32_t)r;
        uint32_t i = (uint32_t)hash_pair(key) & b->mslot_mask;
        while (b->mslot[i].key != UINT64_MAX)
            i = (i + 1) & b->mslot_mask;
        m = &b->mslot[i];
        m->key = key;
        b->mslot_used++;
    }
    m->rank = rank;
    m->id = id;
    return AXVK_OK;
}

axvk_status bpe_finish(struct bpe *b, struct err *err)
{
    /* even with no merges there is a table, so merge_lookup needs no NULL check */
    if (!b->mslot && merge_table_grow(b))
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "merges: out of memory");
    for (int i = 0; i < 256; i++) {
        uint8_t u[4];
        int n = utf8_encode(bpe_byte_to_cp((uint8_t)i), u);
        b->byte_id[i] = bpe_find(b, (const char *)u, (size_t)n);
    }
    return AXVK_OK;
}

/* Grows out as needed: callers append word after word into one list. */
axvk_status bpe_ids_append(struct tokenizer_ids *out, const int32_t *ids, size_t n, struct err *err)
{
    void *p = out->ids;
    if (mem_grow(&p, &out->cap, out->n + n, sizeof *out->ids))
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "token list: out of memory");
    out->ids = p;
    memcpy(out->ids + out->n, ids, n * sizeof *ids);
    out->n += n;
    return AXVK_OK;
}

/* Heap order of HF's merge queue: lowest rank first; equal ranks (the same pair at several
 * places) leftmost first. */
static int item_before(const struct bpe_item *a, const struct bpe_item *b)
{
    return a->rank < b->rank || (a->rank == b->rank && a->pos < b->pos);
}

static void heap_push(struct bpe_item *h, size_t *n, struct bpe_item it)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!item_before(&it, &h[parent]))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = it;
}

static struct bpe_item heap_pop(struct bpe_item *h, size_t *n)
{
    struct bpe_item top = h[0];
    struct bpe_item last = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && item_before(&h[c + 1], &h[c]))
            c++;
        if (!item_before(&h[c], &last))
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n)
        h[i] = last;
    return top;
}

/* Queues the merge of the symbol at pos with its right neighbour, if the table has one. */
static void queue_pair(const struct bpe *b, struct bpe_work *w, size_t *nh, int32_t pos)
{
    const struct bpe_sym *s = &w->sym[pos];
    const struct bpe_merge_slot *m = merge_lookup(b, s->id, w->sym[s->next].id);
    if (m)
        heap_push(w->heap, nh, (struct bpe_item){m->rank, (uint32_t)pos, m->id});
}

/* Whole-word lookup for ignore_merges: the vocabulary spells words in the byte-level alphabet. */
static int32_t find_whole_word(const struct bpe *b, struct bpe_work *w, const uint8_t *s, size_t n)
{
    void *p = w->spell;
    if (n > SIZE_MAX / 2 || mem_grow(&p, &w->spell_cap, 2 * n, 1))
        return -1;
    w->spell = p;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += (size_t)utf8_encode(bpe_byte_to_cp(s[i]), w->spell + k);
    return bpe_find(b, (const char *)w->spell, k);
}

axvk_status bpe_word(const struct bpe *b, struct bpe_work *w, const uint8_t *s, size_t n,
                     struct tokenizer_ids *out, struct err *err)
{
    if (n == 0)
        return AXVK_OK;
    if (b->ignore_merges) {
        int32_t id = find_whole_word(b, w, s, n);
        if (id >= 0)
            return bpe_ids_append(out, &id, 1, err);
    }
    if (n > INT32_MAX / 2)
        return err_set(err, AXVK_ERR_TOKENIZER, "word of %zu bytes too long", n);
    void *ps = w->sym, *ph = w->heap;
    int grow_sym = mem_grow(&ps, &w->sym_cap, n, sizeof *w->sym);
    w->sym = ps;
    /* each merge queues at most two pairs: n - 1 initial + 2 (n - 1) */
    int grow_heap = mem_grow(&ph, &w->heap_cap, 3 * n, sizeof *w->heap);
    w->heap = ph;
    if (grow_sym || grow_heap)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "word of %zu bytes: out of memory", n);

    /* One symbol per byte; bytes with no token become unk, or vanish when there is none. */
    int32_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t id = b->byte_id[s[i]];
        if (id < 0) {
            if (b->unk_id < 0 || (b->fuse_unk && m > 0 && w->sym[m - 1].id == b->unk_id))
                continue;
            id = b->unk_id;
        }
        w->sym[m] = (struct bpe_sym){id, m - 1, m + 1, 1};
        m++;
    }
    if (m == 0)
        return AXVK_OK;
    w->sym[m - 1].next = -1;

    /* Merge until no queued pair is still valid: each merge joins cur with its right
     * neighbour and queues the two new pairs it forms, (prev, cur) and (cur, next). */
    size_t nh = 0;
    for (int32_t i = 0; i + 1 < m; i++)
        queue_pair(b, w, &nh, i);
    while (nh) {
        struct bpe_item top = heap_pop(w->heap, &nh);
        struct bpe_sym *cur = &w->sym[top.pos];
        if (!cur->alive || cur->next < 0)
            continue;
        struct bpe_sym *right = &w->sym[cur->next];
        /* The pair may have changed since it was queued; HF checks the product id, not the rank. */
        const struct bpe_merge_slot *ms = merge_lookup(b, cur->id, right->id);
        if (!ms || ms->id != top.id)
            continue;
        cur->id = top.id;
        right->alive = 0;
        cur->next = right->next;
        if (cur->next >= 0)
            w->sym[cur->next].prev = (int32_t)top.pos;
        if (cur->prev >= 0)
            queue_pair(b, w, &nh, cur->prev);
        if (cur->next >= 0)
            queue_pair(b, w, &nh, (int32_t)top.pos);
    }

    /* Compact the surviving symbols' ids in place (positions only grow along the list). */
    int32_t k = 0;
    for (int32_t i = 0; i >= 0; i = w->sym[i].next)
        w->sym[k++].id = w->sym[i].id;
    void *po = out->ids;
    if (mem_grow(&po, &out->cap, out->n + (size_t)k, sizeof *out->ids))
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "token list: out of memory");
    out->ids = po;
    for (int32_t i = 0; i < k; i++)
        out->ids[out->n++] = w->sym[i].id;
    return AXVK_OK;
}

void bpe_work_free(struct bpe_work *w)
{
    mem_free(w->sym);
    mem_free(w->heap);
    mem_free(w->spell);
    memset(w, 0, sizeof *w);
}

bool bpe_cache_get(const struct bpe_cache *c, const uint8_t *s, size_t n, uint64_t h, const int32_t **ids,
                   size_t *n_ids)
{
    if (!c->slot)
        return false;
    for (uint32_t i = (uint32_t)h & c->mask;; i = (i + 1) & c->mask) {
        const struct bpe_cache_slot *e = &c->slot[i];
        if (!e->used)
            return false;
        if (e->hash == h && e->key_len == n && memcmp(c->keys + e->key_off, s, n) == 0) {
            *ids = c->ids + e->ids_off;
            *n_ids = e->ids_len;
            return true;
        }
    }
}

/* Forgets every word but keeps the memory. */
static void cache_reset(struct bpe_cache *c)
{
    if (c->slot)
        memset(c->slot, 0, ((size_t)c->mask + 1) * sizeof *c->slot);
    c->used = 0;
    c->keys_len = 0;
    c->ids_len = 0;
}

void bpe_cache_put(struct bpe_cache *c, const uint8_t *s, size_t n, uint64_t h, const int32_t *ids,
                   size_t n_ids)
{
    if (!c->slot) {
        c->slot = mem_calloc(CACHE_MAX_SLOTS, sizeof *c->slot);
        if (!c->slot)
            return;
        c->mask = CACHE_MAX_SLOTS - 1;
    }
    /* Full (half the slots, or the byte budget): start over rather than track ages. */
    if (c->used >= CACHE_MAX_SLOTS / 2 || c->keys_len + n > CACHE_MAX_BYTES ||
        (c->ids_len + n_ids) * sizeof *c->ids > CACHE_MAX_BYTES)
        cache_reset(c);
    void *pk = c->keys, *pi = c->ids;
    int fk = mem_grow(&pk, &c->keys_cap, c->keys_len + n, 1);
    c->keys = pk;
    int fi = mem_grow(&pi, &c->ids_cap, c->ids_len + n_ids, sizeof *c->ids);
    c->ids = pi;
    if (fk || fi)
        return;
    uint32_t i = (uint32_t)h & c->mask;
    while (c->slot[i].used)
        i = (i + 1) & c->mask;
    c->slot[i] = (struct bpe_cache_slot){h, (uint32_t)c->keys_len, (uint32_t)n, (uint32_t)c->ids_len,
                                         (uint32_t)n_ids, 1};
    memcpy(c->keys + c->keys_len, s, n);
    memcpy(c->ids + c->ids_len, ids, n_ids * sizeof *ids);
    c->keys_len += n;
    c->ids_len += n_ids;
    c->used++;
}

void bpe_cache_free(struct bpe_cache *c)
{
    mem_free(c->slot);
    mem_free(c->keys);
    mem_free(c->ids);
    memset(c, 0, sizeof *c);
}
