// Package chunk is how the stores whose records have a size limit
// (mongodb, gridfs, dynamodb, memcache) keep a larger value: in chunks, and
// by one write protocol that never lets a reader see a torn value.
//
// The nouns: a head is the record a key's reader finds first; it holds the
// value inline, or a Head naming a generation of chunks (a Ref: a random
// generation id and how many chunks). A generation is fresh for every
// write, so two writers never write the same chunk. Split cuts a value into
// chunks and Count says how many; an Assembler joins them again, checking
// each against the head.
//
// The protocol (Write) orders a store's three writes, given as a Store:
//
//  1. chunks first: the new generation's chunks, which no head names yet;
//  2. head second: the key's head, now naming the new generation, in place
//     of the previous head;
//  3. old chunks last: the chunks of the generation the previous head named
//     (and, on stores where a concurrent writer's head can win unseen, of
//     superseded generations).
//
// Its invariant: a head never names chunks that were not all written, and
// chunks are deleted only once no head names them. A reader that follows a
// head therefore finds every chunk of that generation, or (when a later
// write or a delete removed them meanwhile) finds one missing and reports a
// miss; it never joins the chunks of two writes or a truncated value. A
// failure or crash between the steps leaves at worst unreferenced chunks,
// which Write deletes when it can and which carry the value's expiry
// otherwise. Deletes go the other way: the head first, then its chunks.
package chunk
