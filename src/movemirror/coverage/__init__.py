"""What an archive covers: a map of its poses, the holes a reference set finds in it, its
crowds of near-identical poses, and a self-contained HTML report of them.

    describe.py  plain words for a pose ("both wrists above the head"), from simple rules
    clusters.py  k-means and medoids, numpy only
    map.py       the 2-D map: UMAP where umap-learn is installed, else PCA
    holes.py     reference poses far from every bank pose, grouped and ranked
    crowds.py    clusters of near-identical poses and their share of the bank
    analysis.py  all of it for one bank and reference set
    colours.py   the regions' colours, as the page shows them
    report.py    the HTML report and the map's PNG
"""
