# Reference kernel densities from R spatstat for tests/test_hotspots_reference.py.
# Run from this folder: Rscript kde_spatstat.R  (writes kde_spatstat_points.csv, kde_spatstat_density.csv)
# densityfun(..., edge = FALSE) evaluates the weighted kernel sum exactly at the query points.
suppressPackageStartupMessages(library(spatstat))
set.seed(7)
win <- owin(c(500000, 503000), c(150000, 152100))
n1 <- 250; n2 <- 120
px <- c(runif(n1, 500000, 503000), rnorm(n2, 501800, 180))
py <- c(runif(n1, 150000, 152100), rnorm(n2, 151000, 150))
keep <- inside.owin(px, py, win)
px <- px[keep]; py <- py[keep]
w <- sample(c(1, 2, 10, 180, 365), length(px), replace = TRUE)
X <- ppp(px, py, window = win)
write.csv(data.frame(x = px, y = py, w = w), "kde_spatstat_points.csv", row.names = FALSE)

# query: centres of the 150 m cells covering the window
gx <- seq(500075, 502925, by = 150); gy <- seq(150075, 152025, by = 150)
q <- expand.grid(x = gx, y = gy)
fg <- densityfun(X, sigma = 200, weights = w, edge = FALSE)           # Gaussian, sd 200 m
fq <- densityfun(X, sigma = 150, weights = w, kernel = "quartic", edge = FALSE)  # quartic, sd 150 m
fc <- densityfun(X, sigma = 250, edge = FALSE)                        # Gaussian counts, sd 250 m
out <- data.frame(x = q$x, y = q$y, gauss200_w = fg(q$x, q$y), quartic_sd150_w = fq(q$x, q$y),
                  gauss250_count = fc(q$x, q$y))
write.csv(out, "kde_spatstat_density.csv", row.names = FALSE)
cat(sprintf("spatstat %s (spatstat.explore %s)\n", packageVersion("spatstat"), packageVersion("spatstat.explore")))
