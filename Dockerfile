# Build: a static binary (SQLite is pure Go, no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/pantryflow ./cmd/pantryflow \
 && mkdir -p /out/data

# Run: no shell, no package manager, not root.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/pantryflow /usr/local/bin/pantryflow
COPY --from=build --chown=nonroot:nonroot /out/data /data
ENV PANTRYFLOW_ADDR=:8080 \
    PANTRYFLOW_DATABASE_URL=sqlite:///data/pantryflow.db
VOLUME /data
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/pantryflow"]
CMD ["serve"]
