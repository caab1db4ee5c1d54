module github.com/prodvisual/prodvisual-go

go 1.19
