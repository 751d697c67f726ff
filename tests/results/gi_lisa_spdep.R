# Reference Gi* and local Moran values from R spdep for tests/test_hotspots_reference.py.
# Run from this folder: Rscript gi_lisa_spdep.R  (writes gi_lisa_spdep_grid.csv, gi_lisa_spdep_hex.csv)
suppressPackageStartupMessages({library(spdep); library(sf)})
set.seed(20240601)

# 1. A 14 x 11 grid of 150 m cells (row-major from the south-west), harm-like values with a planted cluster.
nx <- 14; ny <- 11; cell <- 150
ids <- 0:(nx * ny - 1)
col <- ids %% nx; row <- ids %/% nx
x <- 500000 + (col + 0.5) * cell; y <- 150000 + (row + 0.5) * cell
counts <- rpois(length(ids), 0.8)
hot <- (abs(col - 9) <= 1) & (abs(row - 6) <= 1)
counts[hot] <- counts[hot] + rpois(sum(hot), 5)
value <- sapply(counts, function(k) sum(sample(c(1, 2, 10, 180, 365), k, replace = TRUE)))
coords <- cbind(x, y)
queen <- dnearneigh(coords, 0, 1.5 * cell)   # the 8 surrounding cells
rook <- dnearneigh(coords, 0, 1.0 * cell)    # the 4 edge neighbours
band <- dnearneigh(coords, 0, 450)           # distance band 450 m
gstar <- function(nb) as.numeric(localG(value, nb2listw(include.self(nb), style = "B")))
lm_w <- localmoran(value, nb2listw(queen, style = "W"))
lm_b <- localmoran(value, nb2listw(rook, style = "B"))
out <- data.frame(place_id = ids, x = x, y = y, value = value,
                  gi_queen = gstar(queen), gi_rook = gstar(rook), gi_band450 = gstar(band),
                  ii_queen_w = lm_w[, "Ii"], eii_queen_w = lm_w[, "E.Ii"], varii_queen_w = lm_w[, "Var.Ii"],
                  zii_queen_w = lm_w[, "Z.Ii"],
                  ii_rook_b = lm_b[, "Ii"], eii_rook_b = lm_b[, "E.Ii"], varii_rook_b = lm_b[, "Var.Ii"],
                  zii_rook_b = lm_b[, "Z.Ii"])
write.csv(out, "gi_lisa_spdep_grid.csv", row.names = FALSE)

# 2. A hexagon polygon layer (sf::st_make_grid), contiguity by touching (poly2nb queen).
hex <- st_make_grid(st_as_sfc(st_bbox(c(xmin = 0, ymin = 0, xmax = 3000, ymax = 2400))), cellsize = 400, square = FALSE)
n <- length(hex)
cen <- st_coordinates(st_centroid(hex))
hv <- rpois(n, 3) + ifelse((cen[, 1] - 1500)^2 + (cen[, 2] - 1200)^2 < 700^2, rpois(n, 8), 0)
nbh <- poly2nb(hex, queen = TRUE)
lmh <- localmoran(hv, nb2listw(nbh, style = "W", zero.policy = TRUE), zero.policy = TRUE)
outh <- data.frame(place_id = seq_len(n) - 1, wkt = st_as_text(hex), value = hv,
                   gi_touch = as.numeric(localG(hv, nb2listw(include.self(nbh), style = "B"))),
                   ii = lmh[, "Ii"], eii = lmh[, "E.Ii"], varii = lmh[, "Var.Ii"], zii = lmh[, "Z.Ii"])
write.csv(outh, "gi_lisa_spdep_hex.csv", row.names = FALSE)
cat(sprintf("spdep %s, sf %s\n", packageVersion("spdep"), packageVersion("sf")))
