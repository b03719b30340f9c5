// Package mongodsn reads the DSNs of the stores kept on a MongoDB server
// (mongodb://, gridfs://) and opens their client.
//
// The nouns: a Spec is what one store's DSN may say beyond the driver's
// parameters (its scheme, its largest chunk size, and the name of the one
// collection-like parameter it adds, such as collection or bucket); a
// Config is what Parse read from a DSN: those parameters, and the DSN
// without them as a mongodb:// connection string for the driver (every
// other parameter passes unchanged). Open connects a client for a Config
// and hands it to the store, whose Owner disconnects it on Close.
package mongodsn
