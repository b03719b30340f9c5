package mongodsn

import (
	"testing"
	"time"
)

func TestClientOptionsDefaultsAndURIOverrides(t *testing.T) {
	o := clientOptions("mongodb://h:27017/db")
	if *o.ServerSelectionTimeout != DefaultServerSelectionTimeout || *o.ConnectTimeout != DefaultConnectTimeout || *o.SocketTimeout != DefaultSocketTimeout {
		t.Fatalf("defaults: selection %v, connect %v, socket %v", *o.ServerSelectionTimeout, *o.ConnectTimeout, *o.SocketTimeout)
	}
	o = clientOptions("mongodb://h:27017/db?serverSelectionTimeoutMS=7000&CONNECTTIMEOUTMS=8000&socketTimeoutMS=9000")
	if *o.ServerSelectionTimeout != 7*time.Second || *o.ConnectTimeout != 8*time.Second || *o.SocketTimeout != 9*time.Second {
		t.Fatalf("from the URI: selection %v, connect %v, socket %v", *o.ServerSelectionTimeout, *o.ConnectTimeout, *o.SocketTimeout)
	}
	// timeoutMS replaces the socket timeout: the two together are undefined.
	if o = clientOptions("mongodb://h:27017/?timeoutMS=1500"); o.SocketTimeout != nil || *o.Timeout != 1500*time.Millisecond {
		t.Fatalf("with timeoutMS: socket %v, timeout %v", o.SocketTimeout, o.Timeout)
	}
}
