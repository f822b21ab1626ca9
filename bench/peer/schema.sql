-- PostGraphile's copy of the bench's rows, in a schema of its own, and the nearby search as
-- its users would write it: a box on an index, the distance in SQL. Like Indigo's, distances
-- run from the point others are shown (the grid cell's), and the order is (distance, id),
-- so both answer the same page.
CREATE SCHEMA peer;

CREATE TABLE peer.member (
    id integer PRIMARY KEY,
    display_name text NOT NULL
);

CREATE TABLE peer.listing (
    id integer PRIMARY KEY,
    author_id integer NOT NULL REFERENCES peer.member (id),
    type text NOT NULL,
    kind text NOT NULL,
    category text NOT NULL,
    title text NOT NULL,
    digos integer NOT NULL,
    grid_latitude integer NOT NULL,
    grid_longitude integer NOT NULL,
    status text NOT NULL
);

INSERT INTO peer.member SELECT id, display_name FROM public.member;
INSERT INTO peer.listing
SELECT id, author_id, type, kind, category, title, digos, grid_latitude, grid_longitude, status
FROM public.listing;

CREATE INDEX ON peer.listing (author_id);
CREATE INDEX ON peer.listing (grid_latitude, grid_longitude) WHERE status = 'OPEN';

CREATE FUNCTION peer.haversine_km(
    lat1 double precision, lng1 double precision, lat2 double precision, lng2 double precision
) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT 2 * 6371.0088 * asin(least(1, sqrt(
        sin(radians(lat2 - lat1) / 2) ^ 2
        + cos(radians(lat1)) * cos(radians(lat2)) * sin(radians(lng2 - lng1) / 2) ^ 2
    )))
$$;

-- From a point to the point of a grid cell (what others are shown of a listing).
CREATE FUNCTION peer.cell_distance_km(
    latitude double precision, longitude double precision,
    grid_latitude integer, grid_longitude integer
) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT peer.haversine_km(
        latitude, longitude, grid_latitude::double precision / 100, grid_longitude::double precision / 100
    )
$$;

CREATE FUNCTION peer.listing_distance_km(
    listing peer.listing, latitude double precision, longitude double precision
) RETURNS double precision LANGUAGE sql STABLE AS $$
    SELECT round(peer.cell_distance_km(
        latitude, longitude, listing.grid_latitude, listing.grid_longitude
    )::numeric, 3)::double precision
$$;

-- Open listings within radius_km, nearest first: the cells of the circle's bounding box on
-- the index, then the circle itself. (The box is the plain one: good away from the poles and
-- the antimeridian, which the bench does not visit.)
CREATE FUNCTION peer.nearby(
    latitude double precision, longitude double precision, radius_km double precision
) RETURNS SETOF peer.listing LANGUAGE sql STABLE AS $$
    SELECT l.*
    FROM peer.listing AS l
    WHERE l.status = 'OPEN'
      AND l.grid_latitude
          BETWEEN ceil((latitude - degrees(radius_km / 6371.0088)) * 100)::integer
              AND floor((latitude + degrees(radius_km / 6371.0088)) * 100)::integer
      AND l.grid_longitude
          BETWEEN ceil((longitude - degrees(radius_km / 6371.0088) / cos(radians(latitude))) * 100)::integer
              AND floor((longitude + degrees(radius_km / 6371.0088) / cos(radians(latitude))) * 100)::integer
      AND peer.cell_distance_km(latitude, longitude, l.grid_latitude, l.grid_longitude) <= radius_km
    ORDER BY peer.cell_distance_km(latitude, longitude, l.grid_latitude, l.grid_longitude), l.id
$$;

ANALYZE peer.member;
ANALYZE peer.listing;
