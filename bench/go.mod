module github.com/cachedhttp/cachedhttp/bench

go 1.25.0

replace github.com/cachedhttp/cachedhttp => ../

require (
	github.com/bartventer/httpcache v0.14.0
	github.com/cachedhttp/cachedhttp v0.0.0-00010101000000-000000000000
	github.com/gregjones/httpcache v0.0.0-20190611155906-901d90724c79
	github.com/syndtr/goleveldb v1.0.0
	go.etcd.io/bbolt v1.4.3
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/golang/snappy v0.0.4 // indirect
	github.com/google/btree v1.1.3 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/peterbourgon/diskv v2.0.1+incompatible // indirect
	github.com/redis/go-redis/v9 v9.22.0 // indirect
	github.com/vmihailenco/msgpack/v5 v5.4.1 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
)
