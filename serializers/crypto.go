package serializers

// Zstd and friends are defined in compress.go; Sign and Encrypt here.
