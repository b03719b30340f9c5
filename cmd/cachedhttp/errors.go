package main

import "errors"

// errNoCache is returned (wrapped, with the path) by the commands that read
// a cache when the bbolt file or cache directory their DSN names does not
// exist: they do not create one.
var errNoCache = errors.New("no such cache")

// errHTTPStatus is returned (wrapped, with the URL and status) by get -f
// for a response status of 400 or more.
var errHTTPStatus = errors.New("the server answered an error status")
